# The portal's texts in English. The staff pages (7.5).
staff-home-title = Staff home
staff-home-name = Name
staff-home-role = Role
staff-home-pages = My work

s-overdue = overdue
s-reviews-title = Applications to review
s-reviews-count = { $count } in all, by due date, the nearest first.
s-reviews-overdue = { $count } of them are overdue.
s-reviews-empty = No application is waiting for review.
s-reviews-due = Due
s-reviews-number = Number
s-reviews-enterprise = Enterprise
s-reviews-type = Service
s-reviews-submitted = Submitted
s-reviews-more = Only the 200 nearest are shown; the others appear here as these are decided.
s-app-decide = Decision
s-app-advice = The rules' results below are advice; decide on the application itself.
s-app-decision = Decision
s-app-approve = Approve (issues the certificate)
s-app-reject = Reject
s-app-reason = Reason
s-app-reason-hint = At least 10 characters; the enterprise sees it, and it goes into the audit trail.
s-app-submit = Decide
