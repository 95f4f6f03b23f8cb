/*
 * lib/x86.c - x86 facts that the hypervisor, the guests and the host tests
 * all print.
 */
#include "lib/x86.h"

/* APM Vol 2 §8.2 "Vectors", Table 8-1; unnamed vectors are reserved on AMD. */
static const char *const exception_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
	"#DF", "vector 9", "#TS", "#NP", "#SS", "#GP", "#PF", "vector 15",
	"#MF", "#AC", "#MC", "#XF", "vector 20", "#CP", "vector 22", "vector 23",
	"vector 24", "vector 25", "vector 26", "vector 27", "#HV", "#VC", "#SX", "vector 31",
};

const char *x86_exception_name(unsigned int vector)
{
	return vector < 32 ? exception_names[vector] : "vector ?";
}
