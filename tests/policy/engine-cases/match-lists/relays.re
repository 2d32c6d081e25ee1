/^rx\.example$/ x
