# The portal's texts in English. The staff pages (7.5).
staff-home-title = Staff home
staff-home-name = Name
staff-home-role = Role
