# only whole addresses reach a regexp table
/^spam@/	REJECT spammer
/^user@/	REJECT never matches: user@ is a partial key
