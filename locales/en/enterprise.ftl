# The portal's texts in English. The enterprise pages (7.4).
