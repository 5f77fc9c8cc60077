#include "textflag.h"

// Linux arm64 system call numbers (the generic table) and constants used below.
#define SYS_rt_sigaction	134
#define SYS_rt_sigprocmask	135
#define SYS_getpid		172
#define SYS_exit_group		94
#define SA_SIGINFO		0x4
#define SA_ONSTACK		0x08000000
#define SA_RESTART		0x10000000

// entry is the ELF entry point; it does what entry_amd64.s does. The kernel
// starts us with RSP at argc, 16-byte aligned (the CPU faults on a misaligned
// RSP); _rt0_arm64 reads argc and argv from there and no other register, so
// only RSP is put back before the jump. The scratch area below RSP keeps it
// aligned.
//
// struct kernel_sigaction on arm64: handler, flags, restorer, mask (4 x 8
// bytes), the same layout as on x86-64.
TEXT ·entry(SB),NOSPLIT|NOFRAME|TOPFRAME,$0
	MOVD	RSP, R0
	MOVD	R0, ·entrySP(SB)  // restored before the jump
	SUB	$64, RSP
	MOVD	$1, R0
	MOVD	R0, ·stubRan(SB)

	// rt_sigprocmask(SIG_BLOCK, NULL, &maskAtEntry, 8): read the inherited mask.
	MOVD	$0, R0
	MOVD	$0, R1
	MOVD	$·maskAtEntry(SB), R2
	MOVD	$8, R3
	MOVD	$SYS_rt_sigprocmask, R8
	SVC

	MOVD	$1, R19           // signal number
loop:
	// rt_sigaction(sig, NULL, &old, 8) with old at 0(RSP)
	MOVD	R19, R0
	MOVD	$0, R1
	MOVD	RSP, R2
	MOVD	$8, R3
	MOVD	$SYS_rt_sigaction, R8
	SVC
	CBNZ	R0, next          // KILL and STOP report EINVAL on some kernels: skip
	MOVD	0(RSP), R0
	MOVD	$·dispAtEntry(SB), R1
	MOVD	R0, (R1)(R19<<3)
	CBNZ	R0, next          // only take over signals at SIG_DFL
	SUB	$1, R19, R1
	MOVD	$1, R2
	LSL	R1, R2, R2
	MOVD	·catchMask(SB), R3
	TST	R2, R3
	BEQ	next
	// rt_sigaction(sig, &act, NULL, 8) with act at 32(RSP). SA_ONSTACK, as
	// the runtime sets for its own handlers: once the runtime has given this
	// thread a signal stack, a signal still reaching us runs there and not on
	// the Go stack, whose functions keep the caller's frame pointer at
	// -8(RSP), just where the kernel writes its frame record. No SA_RESTORER:
	// arm64 returns through the vDSO's sigreturn, as the runtime's handlers do.
	MOVD	$·earlyHandler(SB), R0
	MOVD	R0, 32(RSP)
	MOVD	$(SA_SIGINFO|SA_ONSTACK|SA_RESTART), R0
	MOVD	R0, 40(RSP)
	MOVD	ZR, 48(RSP)
	MOVD	$-1, R0
	MOVD	R0, 56(RSP)       // block everything while the handler runs
	MOVD	R19, R0
	ADD	$32, RSP, R1
	MOVD	$0, R2
	MOVD	$8, R3
	MOVD	$SYS_rt_sigaction, R8
	SVC
next:
	ADD	$1, R19
	CMP	$65, R19
	BLT	loop

	MOVD	·entrySP(SB), R0
	MOVD	R0, RSP
	JMP	_rt0_arm64_linux(SB)

// earlyHandler(sig, info, ctx) is a C-ABI signal handler, called with the
// signal in R0 and the return address in R30 by the kernel or by
// runtime.sigfwd. It may clobber only R0-R17; symbol addresses are formed
// in those registers, so the assembler never needs its temporary R27.
TEXT ·earlyHandler(SB),NOSPLIT|NOFRAME,$0
	MOVD	R0, R9            // sig
	SUB	$32, RSP
	// Who is the installed handler now? If it is still us, this is a direct
	// delivery before the runtime took over: record it.
	MOVD	$0, R1
	MOVD	RSP, R2
	MOVD	$8, R3
	MOVD	$SYS_rt_sigaction, R8
	SVC                       // rt_sigaction(sig, NULL, &old, 8)
	MOVD	0(RSP), R0
	ADD	$32, RSP
	MOVD	$·earlyHandler(SB), R1
	CMP	R1, R0
	BNE	forwarded
	SUB	$1, R9, R1
	MOVD	$1, R2
	LSL	R1, R2, R2
	MOVD	$·earlyPending(SB), R1
record:
	// An atomic OR without the v8.1 atomics, which GOARM64=v8.0 cannot assume.
	LDAXR	(R1), R3
	ORR	R2, R3, R3
	STLXR	R3, (R1), R4
	CBNZ	R4, record
	RET
forwarded:
	// The runtime is dying from this signal before Notify was called
	// (runtime.dieFromSignal forwards to the previous handler first). As PID 1
	// it would end in exit(2); end with 128+sig instead. Not PID 1: return and
	// let the runtime apply the default action, which kills us by the signal.
	MOVD	$SYS_getpid, R8
	SVC
	CMP	$1, R0
	BNE	notpid1
	ADD	$128, R9, R0
	MOVD	$SYS_exit_group, R8
	SVC
notpid1:
	RET
