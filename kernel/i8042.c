/*
 * i8042.c - the PC keyboard controller, for one thing only: reading a key
 * press at the end of a run (power.c's "press P to power off"). Its
 * interrupt (ISA IRQ 1) only wakes a halted CPU; the scan codes are read
 * by polling. A USB keyboard answers here where the firmware emulates a
 * PS/2 one ("USB legacy support"), as most PCs do.
 *
 * Scan codes: set 1 when the controller translates (its configuration
 * byte's bit 6, what firmware leaves on), else set 2, where a release is
 * the prefix 0xf0 and then the key's code.
 */
#include "kernel.h"
#include "cpu.h"

#define DATA   0x60
#define STATUS 0x64             /* read: status; write: command */
#define ST_OUT  0x01            /* a byte waits at DATA */
#define ST_IN   0x02            /* the controller has not taken our last byte */
#define CFG_IRQ1  0x01
#define CFG_CLK1  0x10          /* set: first port's clock off */
#define CFG_XLAT  0x40

static bool present, set1, released;

static bool wait_in_empty(void)
{
	for (int i = 0; i < 100000; i++) {
		if (!(inb(STATUS) & ST_IN))
			return true;
		cpu_relax();
	}
	return false;
}

static int read_data(void)
{
	for (int i = 0; i < 100000; i++) {
		if (inb(STATUS) & ST_OUT)
			return inb(DATA);
		cpu_relax();
	}
	return -1;
}

static bool command(uint8_t cmd)
{
	if (!wait_in_empty())
		return false;
	outb(STATUS, cmd);
	return true;
}

/* i8042_enable makes the keyboard's presses raise IRQ 1, routed to this
 * CPU's vector; false when there is no controller (a status of 0xff: no
 * device decodes the port). */
bool i8042_enable(uint8_t vector)
{
	if (inb(STATUS) == 0xff)
		return false;
	for (int i = 0; i < 64 && (inb(STATUS) & ST_OUT); i++)
		(void)inb(DATA);                /* what the firmware left */
	if (!command(0x20))                     /* read the configuration byte */
		return false;
	int cfg = read_data();
	if (cfg < 0)
		return false;
	set1 = (cfg & CFG_XLAT) != 0;
	cfg = (cfg | CFG_IRQ1) & ~CFG_CLK1;
	if (!command(0x60) || !wait_in_empty())
		return false;
	outb(DATA, (uint8_t)cfg);
	command(0xae);                          /* first port on */
	present = ioapic_route_isa(1, vector, lapic_id());
	return present;
}

/* i8042_key returns the next key pressed as a lower-case letter, 0 for
 * any other byte, -1 when none is waiting. Only P and R are known. */
int i8042_key(void)
{
	if (!present || !(inb(STATUS) & ST_OUT))
		return -1;
	uint8_t sc = inb(DATA);
	if (set1) {
		if (sc == 0x19)
			return 'p';
		if (sc == 0x13)
			return 'r';
		return 0;
	}
	if (sc == 0xf0) {
		released = true;
		return 0;
	}
	bool rel = released;
	released = false;
	if (rel || sc == 0xe0)
		return 0;
	if (sc == 0x4d)
		return 'p';
	if (sc == 0x2d)
		return 'r';
	return 0;
}
