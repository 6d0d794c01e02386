# The portal's texts in Chinese (the default). The public pages (7.3).

home-title = 安全生产监管服务平台
home-lead = 市应急管理局的网上办事大厅：企业办理安全生产许可“零材料、零跑腿、零人工”，公众核验证书、举报隐患。
home-services-title = 在线办事（三零e办）
home-services-text = 危险化学品经营许可、培训与预案备案等事项在线申请，符合条件的即时办结。
home-services-go = 查看办事指南
home-verify-title = 证书核验
home-verify-text = 输入证书编号和核验码，或扫描证书上的二维码，即可查看证书当前是否有效。
home-verify-go = 核验证书
home-report-title = 举报安全隐患
home-report-text = 可以匿名举报。提交后您会得到一个回执号，凭它查看处理进展；您的身份信息加密保存，只有经过记录的授权才能查看。
home-report-go = 我要举报
home-report-check = 查询举报进展
home-signin-title = 企业与工作人员登录
home-signin-text = 企业用户登录后办理许可、整改隐患；执法、审核和管理人员登录后处理业务。
