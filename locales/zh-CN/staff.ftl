# The portal's texts in Chinese (the default). The staff pages (7.5).
staff-home-title = 工作人员首页
staff-home-name = 姓名
staff-home-role = 角色
