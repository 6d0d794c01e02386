# The portal's texts in Chinese (the default). The staff pages (7.5).
staff-home-title = 工作人员首页
staff-home-name = 姓名
staff-home-role = 角色
staff-home-pages = 我的业务

s-overdue = 已逾期
s-reviews-title = 待审查的申请
s-reviews-count = 共 { $count } 件，按办理期限排列，期限最近的在前。
s-reviews-overdue = 其中 { $count } 件已逾期。
s-reviews-empty = 目前没有待审查的申请。
s-reviews-due = 办理期限
s-reviews-number = 申请编号
s-reviews-enterprise = 企业
s-reviews-type = 事项
s-reviews-submitted = 提交时间
s-reviews-more = 只显示了期限最近的 200 件；办结其中一些后，其余的会出现在这里。
s-app-decide = 审查决定
s-app-advice = 下面的逐项审查结果是系统按规则给出的参考意见，请结合申请内容作出决定。
s-app-decision = 决定
s-app-approve = 准予许可（签发电子证照）
s-app-reject = 不予许可
s-app-reason = 理由
s-app-reason-hint = 至少 10 个字；企业会看到，并记入审计记录。
s-app-submit = 作出决定
