/* A GNU make plugin (`load`) with one function, $(exit-with CODE): ends make with CODE.
 *
 * Why: `make drift` must hand the caller nexusctl's exit code (0 no drift, 3 drift, 1 could
 * not check), but make exits 2 whenever a recipe fails, whatever the recipe's own code. The
 * Makefile runs the command in one recipe, keeps its code in a file, and the next recipe
 * expands $(exit-with $(file < that file)), which exits make itself with that code. An empty
 * or zero CODE does nothing, so make goes on and exits 0.
 *
 * Built by the Makefile with `cc -shared -fPIC` on first use (see EXIT_PLUGIN there).
 */
#include <gnumake.h>
#include <stdio.h>
#include <stdlib.h>

int plugin_is_GPL_compatible;

static char *exit_with(const char *name, unsigned int argc, char **argv) {
    (void)name;
    (void)argc;
    char *end;
    long code = strtol(argv[0], &end, 10);
    if (end == argv[0] || code == 0) {
        return NULL; /* no code (or success): nothing to do */
    }
    if (code < 0 || code > 255) {
        code = 1;
    }
    fflush(stdout);
    fflush(stderr);
    exit((int)code);
}

int make_exit_code_gmk_setup(const gmk_floc *where) {
    (void)where;
    gmk_add_function("exit-with", exit_with, 1, 1, GMK_FUNC_DEFAULT);
    return 1;
}
