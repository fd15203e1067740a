/* Unit test runner: every suite registered with T_SUITE in tests/unit. */
#include "tharness.h"

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
