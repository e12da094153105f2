/* hello: the smallest program. */
#include <rt.h>

void main_main(void)
{
	printf("hello, world\n");
}
