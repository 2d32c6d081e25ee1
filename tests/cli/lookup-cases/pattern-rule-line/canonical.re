# rules are found by their first physical line

/^root@/	admin@example.com
# a rule continued on the next line
/^(.*)\+(.*)@example\.com$/
	tagged@example.com
/^bob@/	bob@example.net
