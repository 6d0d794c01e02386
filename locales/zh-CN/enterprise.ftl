# The portal's texts in Chinese (the default). The enterprise pages (7.4).
