/* check_restrictions - placeholder until the rules land */
#include "check.h"

void check_restrictions(struct check *cx)
{
    (void) cx;
}
