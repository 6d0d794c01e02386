# The portal's texts in English. The public pages (7.3).

home-title = Work Safety Regulation Portal
home-lead = The City Emergency Management Bureau online: enterprises apply for work-safety permits with no paperwork, no trips and no waiting; anyone can verify a certificate or report a hazard.
home-services-title = Apply online
home-services-text = Hazardous chemicals business licences, training and emergency plan filings and more, online; those that meet the rules are decided at once.
home-services-go = See the service guide
home-verify-title = Verify a certificate
home-verify-text = Enter the certificate number and verification code, or scan the QR code on the certificate, to see whether it is valid now.
home-verify-go = Verify a certificate
home-report-title = Report a hazard
home-report-text = You may report anonymously. You get a receipt number to follow your report; your contact details are stored encrypted and can only be opened by a recorded, authorised decision.
home-report-go = Report a hazard
home-report-check = Check a report
home-signin-title = Enterprises and staff
home-signin-text = Enterprises sign in to apply for permits and rectify hazards; inspectors, reviewers and administrators to do their work.
