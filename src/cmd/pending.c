/* TEMPORARY during bring-up: removed as each command lands. */
#include "cmd/cmd.h"
#include <stdio.h>
int cmd_dev(int argc, char **argv, struct global_opts *g) { (void)argc; (void)argv; (void)g; fputs("not yet\n", stderr); return 2; }
