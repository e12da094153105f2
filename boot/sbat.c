/*
 * sbat.c - the loader's SBAT section (Secure Boot Advanced Targeting):
 * shim refuses to start a second stage without one. Each line names a
 * component and its security generation; raising the project's line's
 * generation after a fix lets a revocation (SbatLevel) name the older
 * loaders without revoking the key that signed them.
 */
static const char sbat[] __attribute__((used, section(".sbat"), aligned(1))) =
	"sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n"
	"rt,1,rt,rt,1,docs/real-hardware.md\n";
