/* berth version */
#include <stdio.h>

#include "cmd/cmd.h"

int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("berth %s (%s)\n", BERTH_VERSION, BERTH_GITREV);
    return 0;
}
