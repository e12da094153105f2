/*
 * secureboot.c - the loader's half of Secure Boot. The firmware (or shim)
 * has checked the loader's signature before starting it; the loader must
 * carry that trust on to KERNEL.ELF, which no one else checks. A build
 * with SIGN= writes the kernel's SHA-256 into the slot below before
 * signing (tools/kdigest.py), so the signature covers the digest.
 */
#include <efi.h>
#include <efilib.h>

#include "kdigest.h"
#include "secureboot.h"

/* Filled in the EFI file, not here: the build finds it by its marker. */
static struct kdigest_slot slot __attribute__((used, section(".data.kdigest"))) = {
	.marker = KDIGEST_MARKER,
	.filled = KDIGEST_EMPTY,
};

/* read_u8 reads a one-byte EFI global variable; -1 when there is none */
static int read_u8(CHAR16 *name)
{
	UINT8 v = 0;
	UINTN n = sizeof v;
	if (EFI_ERROR(RT->GetVariable(name, &EfiGlobalVariable, NULL, &n, &v)) || n != 1)
		return -1;
	return v;
}

static UINT32 secure_boot_state(void)
{
	int sb = read_u8(L"SecureBoot");
	if (sb < 0)
		return BI_SB_UNKNOWN;
	if (read_u8(L"SetupMode") == 1)
		return BI_SB_SETUP;
	return sb == 1 ? BI_SB_ON : BI_SB_OFF;
}

static const CHAR16 *state_name(UINT32 s)
{
	switch (s) {
	case BI_SB_ON: return L"on";
	case BI_SB_OFF: return L"off";
	case BI_SB_SETUP: return L"off (setup mode)";
	default: return L"not supported by the firmware";
	}
}

int secureboot_check_kernel(const void *file, UINT64 size, struct bootinfo *bi, char *why, UINTN whylen)
{
	/* The slot is never written here: hide that from the compiler, or it
	 * would fold the empty slot's fields into the code. */
	const struct kdigest_slot *s = &slot;
	__asm__("" : "+r"(s));
	bi->secure_boot = secure_boot_state();
	uint8_t got[SHA256_SIZE];
	int r = kdigest_check(s, file, size, bi->secure_boot == BI_SB_ON, got, why, whylen);
	if (r == KDIGEST_REFUSE)
		return -1;
	bi->kernel_checked = r == KDIGEST_CHECKED;
	if (r == KDIGEST_CHECKED) {
		char hex[17];
		kdigest_hex(got, 8, hex);
		Print(L"loader: Secure Boot %s; KERNEL.ELF checked: SHA-256 %a... as built into the loader\r\n",
		      state_name(bi->secure_boot), hex);
	} else {
		Print(L"loader: Secure Boot %s; KERNEL.ELF not checked (no digest built into the loader)\r\n",
		      state_name(bi->secure_boot));
	}
	return 0;
}
