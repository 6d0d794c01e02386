-- Violation-behaviour negative lists (SPEC 3): industry templates, versioned enterprise lists
-- and their items, violation records. Templates are seeded below for five industries.

CREATE TABLE negative_list_templates (
    industry TEXT NOT NULL REFERENCES industries (code),
    code TEXT NOT NULL,
    position INTEGER NOT NULL,
    category TEXT NOT NULL CHECK (category IN ('illegal_command', 'illegal_operation', 'labor_discipline', 'other')),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('general', 'serious', 'grave')),
    suggested_handling TEXT NOT NULL CHECK (suggested_handling IN ('education', 'warning', 'fine', 'post_suspension', 'dismissal', 'other')),
    PRIMARY KEY (industry, code)
);

-- AUTOINCREMENT: a discarded draft's row is deleted, and its id (which names its audit chain)
-- must never be handed out again, as plain rowids would after deleting the last row.
CREATE TABLE negative_lists (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    version INTEGER NOT NULL CHECK (version >= 1),
    status TEXT NOT NULL CHECK (status IN ('draft', 'current', 'superseded')),
    source TEXT NOT NULL CHECK (source IN ('empty', 'current', 'template')),
    published_at TIMESTAMP,
    effective_from TIMESTAMP,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (enterprise_id, version),
    CHECK ((status = 'draft') = (published_at IS NULL)),
    CHECK ((published_at IS NULL) = (effective_from IS NULL))
);
-- At most one draft and one current version per enterprise.
CREATE UNIQUE INDEX negative_lists_one_draft ON negative_lists (enterprise_id) WHERE status = 'draft';
CREATE UNIQUE INDEX negative_lists_one_current ON negative_lists (enterprise_id) WHERE status = 'current';
-- The version in force at an instant.
CREATE INDEX negative_lists_in_force ON negative_lists (enterprise_id, effective_from);

CREATE TABLE negative_list_items (
    list_id BIGINT NOT NULL REFERENCES negative_lists (id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    position INTEGER NOT NULL,
    category TEXT NOT NULL CHECK (category IN ('illegal_command', 'illegal_operation', 'labor_discipline', 'other')),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('general', 'serious', 'grave')),
    suggested_handling TEXT NOT NULL CHECK (suggested_handling IN ('education', 'warning', 'fine', 'post_suspension', 'dismissal', 'other')),
    PRIMARY KEY (list_id, code)
);

CREATE TABLE violations (
    id INTEGER PRIMARY KEY,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    list_id BIGINT NOT NULL REFERENCES negative_lists (id),
    item_code TEXT NOT NULL,
    -- Copied from the item (items of a published version never change) so that filters and
    -- figures need no join.
    category TEXT NOT NULL CHECK (category IN ('illegal_command', 'illegal_operation', 'labor_discipline', 'other')),
    severity TEXT NOT NULL CHECK (severity IN ('general', 'serious', 'grave')),
    employee_ref TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    location TEXT NOT NULL,
    description TEXT NOT NULL,
    handling TEXT NOT NULL CHECK (handling IN ('education', 'warning', 'fine', 'post_suspension', 'dismissal', 'other')),
    fine_fen BIGINT NOT NULL CHECK (fine_fen >= 0),
    recorded_by BIGINT NOT NULL REFERENCES users (id),
    corrected_at TIMESTAMP,
    correction_note TEXT,
    repeat BOOLEAN NOT NULL,
    escalated BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    FOREIGN KEY (list_id, item_code) REFERENCES negative_list_items (list_id, code),
    CHECK (repeat OR NOT escalated)
);
CREATE INDEX violations_enterprise_id ON violations (enterprise_id, id);
CREATE INDEX violations_category_id ON violations (category, id);
CREATE INDEX violations_severity_id ON violations (severity, id);
CREATE INDEX violations_list_item ON violations (list_id, item_code);
CREATE INDEX violations_recorded_by ON violations (recorded_by);
-- Repeat and escalation: one employee's violations in time order.
CREATE INDEX violations_employee ON violations (enterprise_id, employee_ref, occurred_at);
-- Figures. City-wide: the breakdown seeks each (category, severity, repeat, escalated) group
-- with the period's range (the query lists every value, so no sort and no planner statistics
-- are needed); the comparison count walks the narrow occurred_at index. Per enterprise (and per
-- industry or district, through their enterprises): one covering range per enterprise.
CREATE INDEX violations_stats ON violations (category, severity, repeat, escalated, occurred_at, corrected_at);
CREATE INDEX violations_occurred_at ON violations (occurred_at);
CREATE INDEX violations_enterprise_stats ON violations (enterprise_id, occurred_at, category, severity, repeat, escalated, corrected_at);

-- Templates written from what each industry's safety rules forbid (三违: 违章指挥, 违章作业,
-- 违反劳动纪律). Admins replace them with PUT /api/v1/negative-list-templates/{industry}.
INSERT INTO negative_list_templates (industry, code, position, category, title, description, severity, suggested_handling) VALUES
    ('hazardous_chemicals', 'HC-C01', 1, 'illegal_command', '强令未办理动火安全作业票即动火', '安排或强令在生产、储存区域进行焊接、切割等动火作业，而动火安全作业票未经审批（GB 30871）。', 'grave', 'post_suspension'),
    ('hazardous_chemicals', 'HC-C02', 2, 'illegal_command', '指挥人员进入未经气体检测合格的受限空间', '在储罐、塔器、地下池等受限空间作业前未检测氧含量和可燃、有毒气体即安排人员进入。', 'grave', 'post_suspension'),
    ('hazardous_chemicals', 'HC-C03', 3, 'illegal_command', '安排无特种作业操作证人员操作危险化工工艺', '安排未取得危险化工工艺特种作业操作证的人员在重点监管工艺岗位独立操作。', 'serious', 'fine'),
    ('hazardous_chemicals', 'HC-C04', 4, 'illegal_command', '擅自指挥解除联锁或旁路安全仪表系统', '未经审批变更工艺参数、摘除联锁、旁路安全仪表系统后组织生产。', 'grave', 'post_suspension'),
    ('hazardous_chemicals', 'HC-C05', 5, 'illegal_command', '泄漏或异常工况未消除时强令恢复生产', '装置发生泄漏、超温超压等异常，隐患未消除即指挥开车或继续生产。', 'grave', 'dismissal'),
    ('hazardous_chemicals', 'HC-C06', 6, 'illegal_command', '指挥超量储存或混存禁忌物料', '安排危险化学品超过仓库核定储量储存，或将性质相抵触、灭火方法不同的物料混存。', 'serious', 'fine'),
    ('hazardous_chemicals', 'HC-O01', 7, 'illegal_operation', '动火作业未办理作业票', '未办理动火安全作业票、未进行动火分析或未落实监火人即进行动火作业。', 'grave', 'fine'),
    ('hazardous_chemicals', 'HC-O02', 8, 'illegal_operation', '有限空间作业未检测气体', '进入受限空间前未进行气体检测，或作业中未连续监测、无人监护。', 'grave', 'fine'),
    ('hazardous_chemicals', 'HC-O03', 9, 'illegal_operation', '高处作业未系挂安全带', '在2米以上无可靠防护的高处作业未系挂安全带或未办理高处作业票。', 'serious', 'fine'),
    ('hazardous_chemicals', 'HC-O04', 10, 'illegal_operation', '装卸作业未连接静电接地', '槽车装卸易燃液体时未连接静电接地、未控制流速或装卸时离开现场。', 'serious', 'fine'),
    ('hazardous_chemicals', 'HC-O05', 11, 'illegal_operation', '防爆区域使用非防爆工具或电器', '在爆炸危险区域使用非防爆工具、手机等电子设备，或穿带钉鞋、化纤服装。', 'serious', 'warning'),
    ('hazardous_chemicals', 'HC-O06', 12, 'illegal_operation', '盲板抽堵作业未挂牌登记', '盲板抽堵未办理作业票、未挂牌登记或未佩戴呼吸器等防护器具。', 'serious', 'fine'),
    ('hazardous_chemicals', 'HC-O07', 13, 'illegal_operation', '擅自停用可燃有毒气体报警器', '擅自拆除、屏蔽或停用可燃、有毒气体检测报警器等安全设施。', 'grave', 'post_suspension'),
    ('hazardous_chemicals', 'HC-O08', 14, 'illegal_operation', '携带火种进入生产区或禁烟区吸烟', '携带打火机、火柴等火种进入生产、储存区域，或在禁烟区域吸烟。', 'grave', 'fine'),
    ('hazardous_chemicals', 'HC-D01', 15, 'labor_discipline', '酒后上岗或在岗饮酒', '饮酒后进入岗位，或在岗期间饮酒。', 'grave', 'post_suspension'),
    ('hazardous_chemicals', 'HC-D02', 16, 'labor_discipline', '脱岗睡岗串岗', '中控室、罐区等重点岗位值班期间擅离岗位、睡觉或到其他岗位闲谈。', 'serious', 'fine'),
    ('hazardous_chemicals', 'HC-D03', 17, 'labor_discipline', '交接班不到位或记录不实', '未按规定进行现场交接，交接班记录缺项或与实际不符。', 'general', 'education'),
    ('hazardous_chemicals', 'HC-D04', 18, 'labor_discipline', '巡检漏检或伪造巡检记录', '未按规定路线和频次巡检，或未到现场即填写巡检记录。', 'serious', 'warning'),
    ('hazardous_chemicals', 'HC-D05', 19, 'labor_discipline', '未按规定穿戴劳动防护用品', '进入生产区未穿防静电工作服、未戴安全帽或防护眼镜。', 'general', 'education'),
    ('fireworks', 'FW-C01', 1, 'illegal_command', '强令在超过药量限制的工房内作业', '安排员工在药物、半成品存量超过核定限量的工房内继续作业。', 'grave', 'post_suspension'),
    ('fireworks', 'FW-C02', 2, 'illegal_command', '安排未经培训人员从事涉药作业', '安排未经安全培训考核合格的人员从事配药、装药、筑药等涉药工序。', 'serious', 'fine'),
    ('fireworks', 'FW-C03', 3, 'illegal_command', '指挥超员超量超时生产', '工房内作业人员、药量超过定员定量，或指挥加班赶工、延长涉药作业时间。', 'grave', 'post_suspension'),
    ('fireworks', 'FW-C04', 4, 'illegal_command', '恶劣天气指挥涉药作业', '在雷雨、高温等禁止作业的天气条件下指挥进行涉药作业或运输。', 'grave', 'post_suspension'),
    ('fireworks', 'FW-C05', 5, 'illegal_command', '擅自改变工房用途或转包危险工序', '擅自改变工房设计用途，或将危险工序转包、分包给不具备条件的单位和个人。', 'grave', 'dismissal'),
    ('fireworks', 'FW-O01', 6, 'illegal_operation', '涉药作业使用铁器工具', '在配药、装药、筑药等工序使用铁质等易产生火花的工具或敲击、摩擦药物。', 'grave', 'fine'),
    ('fireworks', 'FW-O02', 7, 'illegal_operation', '进入涉药工房未消除人体静电', '进入涉药工房前未触摸静电释放装置，或穿着化纤衣物、带钉鞋。', 'serious', 'fine'),
    ('fireworks', 'FW-O03', 8, 'illegal_operation', '危险工序未隔离操作', '药物混合、造粒、压药等危险工序未按规定实行人机隔离操作。', 'grave', 'fine'),
    ('fireworks', 'FW-O04', 9, 'illegal_operation', '私自更改药物配方或使用违禁药物', '私自配制、更改药物配方，或使用氯酸钾等国家禁用的药物。', 'grave', 'dismissal'),
    ('fireworks', 'FW-O05', 10, 'illegal_operation', '废药残药未及时处理', '作业产生的废药、残药未按规定收集、及时销毁，或随意丢弃、焚烧。', 'serious', 'fine'),
    ('fireworks', 'FW-O06', 11, 'illegal_operation', '在库房工房内拆包分装', '在成品库房、中转库或工房内拆包、分装、挑选产品等非规定作业。', 'serious', 'warning'),
    ('fireworks', 'FW-O07', 12, 'illegal_operation', '运输未使用专用车辆或人货混装', '厂内外运输药物和产品未使用专用车辆，或人员与危险品混装同乘。', 'serious', 'fine'),
    ('fireworks', 'FW-D01', 13, 'labor_discipline', '厂区吸烟或携带火种进入危险品生产区', '在厂区内吸烟，或携带火种、手机等进入危险品生产区。', 'grave', 'dismissal'),
    ('fireworks', 'FW-D02', 14, 'labor_discipline', '酒后进入生产区作业', '饮酒后进入危险品生产区作业。', 'grave', 'post_suspension'),
    ('fireworks', 'FW-D03', 15, 'labor_discipline', '作业期间擅自离岗串岗', '涉药作业期间擅离岗位或进入与本岗位无关的工房。', 'serious', 'warning'),
    ('fireworks', 'FW-D04', 16, 'labor_discipline', '进出危险品生产区不登记或带入无关人员', '未按规定登记进出危险品生产区，或带领无关人员进入。', 'general', 'education'),
    ('non_coal_mining', 'NM-C01', 1, 'illegal_command', '强令进入未经检查的危险作业面', '安排作业人员进入未经敲帮问顶检查、存在冒顶片帮危险的采掘工作面。', 'grave', 'post_suspension'),
    ('non_coal_mining', 'NM-C02', 2, 'illegal_command', '未撤人未设警戒即指挥起爆', '爆破作业未撤出危险区域人员、未设置警戒即下达起爆指令。', 'grave', 'dismissal'),
    ('non_coal_mining', 'NM-C03', 3, 'illegal_command', '安排无证人员从事特种作业', '安排未取得特种作业操作证的人员从事爆破、提升机操作、井下电气等作业。', 'serious', 'fine'),
    ('non_coal_mining', 'NM-C04', 4, 'illegal_command', '通风故障或气体超限时指挥继续作业', '主要通风机停止运转或有毒有害气体超限时，未撤人而指挥继续作业。', 'grave', 'post_suspension'),
    ('non_coal_mining', 'NM-C05', 5, 'illegal_command', '露天采场违规指挥开采', '指挥采用“一面墙”、掏底崩落等违规方式开采，或超过设计台阶高度作业。', 'grave', 'post_suspension'),
    ('non_coal_mining', 'NM-O01', 6, 'illegal_operation', '井下作业不戴自救器', '下井人员未随身携带自救器，或携带失效、未检验的自救器。', 'serious', 'fine'),
    ('non_coal_mining', 'NM-O02', 7, 'illegal_operation', '爆破后未经通风检查即进入工作面', '爆破后未经通风排烟和安全检查即进入工作面。', 'grave', 'fine'),
    ('non_coal_mining', 'NM-O03', 8, 'illegal_operation', '乘罐超员或人物混乘', '乘坐罐笼、斜井人车时超员，或与物料、炸药混乘。', 'serious', 'fine'),
    ('non_coal_mining', 'NM-O04', 9, 'illegal_operation', '空顶下作业', '敲帮问顶不到位，在未支护或支护失效的空顶下作业。', 'grave', 'fine'),
    ('non_coal_mining', 'NM-O05', 10, 'illegal_operation', '扒车蹬车或斜巷行车时行人', '扒乘、蹬乘运行中的矿车，或斜巷提升时违反“行车不行人”规定。', 'serious', 'warning'),
    ('non_coal_mining', 'NM-O06', 11, 'illegal_operation', '民用爆炸物品领退不登记或私藏', '炸药、雷管领退不登记，私藏、转借或在工作面随意存放。', 'grave', 'dismissal'),
    ('non_coal_mining', 'NM-O07', 12, 'illegal_operation', '尾矿库排土场违规作业', '在尾矿库、排土场危险区域违规作业，或擅自放矿、堆排。', 'serious', 'fine'),
    ('non_coal_mining', 'NM-O08', 13, 'illegal_operation', '单独进入盲巷采空区', '无人监护单独进入盲巷、采空区、废弃巷道等危险区域。', 'grave', 'fine'),
    ('non_coal_mining', 'NM-D01', 14, 'labor_discipline', '入井不登记或不佩戴人员定位卡', '未按规定进行入井登记、检身，或未佩戴人员定位卡。', 'serious', 'warning'),
    ('non_coal_mining', 'NM-D02', 15, 'labor_discipline', '酒后下井', '饮酒后入井作业。', 'grave', 'dismissal'),
    ('non_coal_mining', 'NM-D03', 16, 'labor_discipline', '当班睡岗脱岗或提前升井', '当班期间睡岗、擅离岗位，或未经许可提前升井。', 'serious', 'fine'),
    ('non_coal_mining', 'NM-D04', 17, 'labor_discipline', '不参加班前会或安全培训', '无故不参加班前安全会议或规定的安全培训。', 'general', 'education'),
    ('metallurgy', 'MT-C01', 1, 'illegal_command', '煤气区域未检测即指挥作业', '安排在煤气区域作业前未检测一氧化碳浓度、未办理煤气作业票即开工。', 'grave', 'post_suspension'),
    ('metallurgy', 'MT-C02', 2, 'illegal_command', '在熔融金属吊运区域下方安排人员停留', '在吊运铁水、钢水等高温熔融金属的路线下方设置休息室、操作室或安排人员停留。', 'grave', 'post_suspension'),
    ('metallurgy', 'MT-C03', 3, 'illegal_command', '未停电挂牌上锁即安排检修', '设备检修前未执行能量隔离、停电挂牌上锁即安排人员作业。', 'grave', 'post_suspension'),
    ('metallurgy', 'MT-C04', 4, 'illegal_command', '安排未经培训人员操作冶金起重机或煤气设施', '安排未经培训考核合格的人员操作冶金起重机、煤气设施等关键设备。', 'serious', 'fine'),
    ('metallurgy', 'MT-C05', 5, 'illegal_command', '指挥使用潮湿工器具接触熔融金属', '指挥使用未经烘烤或潮湿的工器具、物料接触铁水、钢水。', 'grave', 'post_suspension'),
    ('metallurgy', 'MT-O01', 6, 'illegal_operation', '进入煤气区域不带报警器或单人作业', '进入煤气区域未携带一氧化碳报警器，或未执行两人以上同行、一人监护。', 'grave', 'fine'),
    ('metallurgy', 'MT-O02', 7, 'illegal_operation', '检修未执行能量隔离', '检修作业未执行停电、挂牌、上锁和确认，或他人挂的牌被擅自摘除。', 'grave', 'fine'),
    ('metallurgy', 'MT-O03', 8, 'illegal_operation', '吊运熔融金属时在吊物下方通过停留', '吊运铁水、钢水、渣罐时人员在吊物下方通过或停留。', 'grave', 'fine'),
    ('metallurgy', 'MT-O04', 9, 'illegal_operation', '受限空间作业未检测气体或无人监护', '进入除尘器、炉内、管道等受限空间未检测气体、未通风或无人监护。', 'grave', 'fine'),
    ('metallurgy', 'MT-O05', 10, 'illegal_operation', '高处作业不系安全带', '在平台、炉顶等2米以上高处作业未系挂安全带。', 'serious', 'fine'),
    ('metallurgy', 'MT-O06', 11, 'illegal_operation', '跨越或在运转设备上清理检修', '跨越运转中的皮带、辊道，或在运转设备上清理、检修、加油。', 'serious', 'fine'),
    ('metallurgy', 'MT-O07', 12, 'illegal_operation', '罐包超装或使用有缺陷罐包', '铁水罐、钢水包超装，或使用耳轴、内衬有缺陷的罐包。', 'grave', 'post_suspension'),
    ('metallurgy', 'MT-D01', 13, 'labor_discipline', '酒后上岗', '饮酒后上岗或在岗期间饮酒。', 'grave', 'post_suspension'),
    ('metallurgy', 'MT-D02', 14, 'labor_discipline', '当班脱岗睡岗玩手机', '当班期间擅离岗位、睡岗或在操作岗位玩手机。', 'serious', 'warning'),
    ('metallurgy', 'MT-D03', 15, 'labor_discipline', '不按规定穿戴阻燃防护用品', '在炉前、浇铸等高温岗位未穿阻燃服、未戴防护面罩。', 'general', 'education'),
    ('metallurgy', 'MT-D04', 16, 'labor_discipline', '擅自进入无关危险区域', '未经许可进入与本岗位无关的煤气、高温、吊运等危险区域。', 'general', 'warning'),
    ('construction', 'CS-C01', 1, 'illegal_command', '强令在未验收的脚手架或支撑体系上作业', '脚手架、模板支撑体系未经验收合格即安排工人上架作业。', 'grave', 'post_suspension'),
    ('construction', 'CS-C02', 2, 'illegal_command', '危大工程未按专项方案组织施工', '超过一定规模的危险性较大的分部分项工程未编制或未按专项施工方案组织施工。', 'grave', 'post_suspension'),
    ('construction', 'CS-C03', 3, 'illegal_command', '安排无证人员操作起重机械或电焊', '安排无特种作业证的人员操作塔式起重机、施工升降机或从事电焊、架子工作业。', 'serious', 'fine'),
    ('construction', 'CS-C04', 4, 'illegal_command', '恶劣天气指挥高处作业或吊装', '六级以上大风、暴雨、雷电等恶劣天气下指挥露天高处作业或起重吊装。', 'grave', 'post_suspension'),
    ('construction', 'CS-C05', 5, 'illegal_command', '深基坑出现险情征兆时强令继续开挖', '基坑出现裂缝、渗漏、变形超限等险情征兆时未撤人而强令继续施工。', 'grave', 'dismissal'),
    ('construction', 'CS-O01', 6, 'illegal_operation', '高处作业不系安全带', '在2米以上无可靠防护的临边、洞口或悬空作业未系挂安全带。', 'serious', 'fine'),
    ('construction', 'CS-O02', 7, 'illegal_operation', '进入施工现场不戴安全帽', '进入施工现场不戴安全帽，或不系下颏带。', 'general', 'warning'),
    ('construction', 'CS-O03', 8, 'illegal_operation', '擅自拆除临边洞口防护或连墙件', '擅自拆除临边防护栏杆、洞口盖板或脚手架连墙件。', 'grave', 'fine'),
    ('construction', 'CS-O04', 9, 'illegal_operation', '私拉乱接临时用电', '私拉乱接电线，或未按“一机一闸一漏一箱”使用临时用电设备。', 'serious', 'fine'),
    ('construction', 'CS-O05', 10, 'illegal_operation', '起重吊装斜拉斜吊或吊物下站人', '起重吊装时斜拉斜吊、超载吊运，或在吊物下方站人、通行。', 'grave', 'fine'),
    ('construction', 'CS-O06', 11, 'illegal_operation', '动火作业未办理动火证', '焊接、切割等动火作业未办理动火证，未配备灭火器材和看火人。', 'serious', 'fine'),
    ('construction', 'CS-O07', 12, 'illegal_operation', '有限空间作业未通风检测即进入', '进入污水井、管道、地下室等有限空间前未通风、未检测气体、无人监护。', 'grave', 'fine'),
    ('construction', 'CS-O08', 13, 'illegal_operation', '乘坐吊篮或物料提升机上下', '违规乘坐吊篮、物料提升机或吊物上下。', 'grave', 'fine'),
    ('construction', 'CS-D01', 14, 'labor_discipline', '酒后进入施工现场作业', '饮酒后进入施工现场作业。', 'grave', 'dismissal'),
    ('construction', 'CS-D02', 15, 'labor_discipline', '施工现场吸烟打闹', '在施工现场吸烟、追逐打闹或在危险区域休息。', 'general', 'warning'),
    ('construction', 'CS-D03', 16, 'labor_discipline', '擅离岗位或特种作业离岗不交接', '作业期间擅离岗位，特种作业人员离岗不交接、不断电。', 'serious', 'warning'),
    ('construction', 'CS-D04', 17, 'labor_discipline', '未参加安全技术交底即上岗', '未接受安全技术交底或三级安全教育即上岗作业。', 'general', 'education');
