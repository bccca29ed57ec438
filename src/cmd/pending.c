/* TEMPORARY during bring-up: removed as each command lands. */
#include "cmd/cmd.h"
#include <stdio.h>
