/*
 * The default demo (make run): boots with GODEBUG=inittrace=1, so the
 * console first shows each startup step of the runtime with its time since
 * _rt0_amd64_efi, then main_main runs as the main goroutine (goid 1),
 * starts a few goroutines and returns, which ends the machine: exit(0).
 */
#include <rt.h>

static volatile int done;

static void hello(void *arg)
{
	printf("  goroutine %ld says hello (arg %ld) on CPU %d\n", goid(), (long)(intptr_t)arg, cpuid());
	done++;
}

void main_main(void)
{
	printf("main_main: running as goroutine %ld on CPU %d of %d, GOMAXPROCS=%d\n",
	       goid(), cpuid(), numcpu(), gomaxprocs(0));
	for (int i = 1; i <= 3; i++)
		go(hello, (void *)(intptr_t)i);
	while (done < 3)
		gosched();
	printf("main_main: %d goroutines ran; returning from main_main ends the program\n", done);
}
