/* Integration test runner: needs the stack of tests/run.sh (see e2e.h). */
#include "tharness.h"

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
