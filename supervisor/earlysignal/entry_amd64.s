#include "textflag.h"

// Linux x86-64 system call numbers and constants used below.
#define SYS_rt_sigaction	13
#define SYS_rt_sigprocmask	14
#define SYS_getpid		39
#define SYS_exit_group		231
#define SYS_rt_sigreturn	15
#define SA_SIGINFO		0x4
#define SA_RESTORER		0x04000000
#define SA_RESTART		0x10000000

// entry is the ELF entry point. The kernel starts us with SP pointing at argc;
// everything here uses a scratch area below SP and restores SP before jumping
// into the Go runtime's own entry, which must see the exact initial stack.
//
// struct kernel_sigaction on x86-64: handler, flags, restorer, mask (4 x 8 bytes).
TEXT ·entry(SB),NOSPLIT|NOFRAME|TOPFRAME,$0
	MOVQ	SP, ·entrySP(SB)  // restored before the jump
	SUBQ	$96, SP
	ANDQ	$~15, SP
	MOVQ	$1, ·stubRan(SB)

	// rt_sigprocmask(SIG_BLOCK, NULL, &maskAtEntry, 8): read the inherited mask.
	MOVQ	$0, DI
	MOVQ	$0, SI
	LEAQ	·maskAtEntry(SB), DX
	MOVQ	$8, R10
	MOVQ	$SYS_rt_sigprocmask, AX
	SYSCALL

	MOVQ	$1, R12           // signal number
loop:
	// rt_sigaction(sig, NULL, &old, 8)
	MOVQ	R12, DI
	MOVQ	$0, SI
	LEAQ	0(SP), DX
	MOVQ	$8, R10
	MOVQ	$SYS_rt_sigaction, AX
	SYSCALL
	CMPQ	AX, $0
	JNE	next              // KILL and STOP report EINVAL on some kernels: skip
	MOVQ	0(SP), AX
	LEAQ	·dispAtEntry(SB), BX
	MOVQ	AX, (BX)(R12*8)
	CMPQ	AX, $0            // only take over signals at SIG_DFL
	JNE	next
	MOVQ	R12, CX
	DECQ	CX
	MOVQ	$1, AX
	SHLQ	CX, AX
	TESTQ	AX, ·catchMask(SB)
	JZ	next
	// rt_sigaction(sig, &act, NULL, 8) with act at 32(SP)
	LEAQ	·earlyHandler(SB), AX
	MOVQ	AX, 32(SP)
	MOVQ	$(SA_SIGINFO|SA_RESTORER|SA_RESTART), 40(SP)
	LEAQ	·earlyRestorer(SB), AX
	MOVQ	AX, 48(SP)
	MOVQ	$-1, 56(SP)       // block everything while the handler runs
	MOVQ	R12, DI
	LEAQ	32(SP), SI
	MOVQ	$0, DX
	MOVQ	$8, R10
	MOVQ	$SYS_rt_sigaction, AX
	SYSCALL
next:
	INCQ	R12
	CMPQ	R12, $65
	JLT	loop

	MOVQ	·entrySP(SB), SP
	JMP	_rt0_amd64_linux(SB)

// earlyHandler(sig, info, ctx) is a C-ABI signal handler: it may clobber only
// the caller-saved registers AX, CX, DX, SI, DI, R8-R11.
TEXT ·earlyHandler(SB),NOSPLIT|NOFRAME,$0
	SUBQ	$40, SP
	MOVQ	DI, 32(SP)
	// Who is the installed handler now? If it is still us, this is a direct
	// delivery before the runtime took over: record it.
	MOVQ	$0, SI
	LEAQ	0(SP), DX
	MOVQ	$8, R10
	MOVQ	$SYS_rt_sigaction, AX
	SYSCALL
	MOVQ	0(SP), AX
	MOVQ	32(SP), DI
	ADDQ	$40, SP
	LEAQ	·earlyHandler(SB), CX
	CMPQ	AX, CX
	JNE	forwarded
	MOVQ	DI, CX
	DECQ	CX
	MOVQ	$1, AX
	SHLQ	CX, AX
	LOCK
	ORQ	AX, ·earlyPending(SB)
	RET
forwarded:
	// The runtime is dying from this signal before Notify was called
	// (runtime.dieFromSignal forwards to the previous handler first). As PID 1
	// it would end in exit(2); end with 128+sig instead. Not PID 1: return and
	// let the runtime apply the default action, which kills us by the signal.
	MOVQ	$SYS_getpid, AX
	SYSCALL
	CMPQ	AX, $1
	JNE	notpid1
	ADDQ	$128, DI
	MOVQ	$SYS_exit_group, AX
	SYSCALL
notpid1:
	RET

TEXT ·earlyRestorer(SB),NOSPLIT|NOFRAME,$0
	MOVQ	$SYS_rt_sigreturn, AX
	SYSCALL
	INT	$3
