/^user\+ext@/ regexp-answer
