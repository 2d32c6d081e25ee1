/* check_params - placeholder until the rules land */
#include "check.h"

void check_parameters(struct check *cx)
{
    (void) cx;
}
