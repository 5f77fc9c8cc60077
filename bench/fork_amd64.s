#include "textflag.h"

// Children that share the caller's memory (CLONE_VM without CLONE_THREAD:
// processes of their own, with a copy of the fd table and signal handlers)
// cost no page-table copy to create and no address-space teardown to end, so
// the reaping measurement times the init's reaping and not the kernel's
// munmap. Their code is these few instructions: registers and syscalls only,
// on the small stack passed in, with every signal blocked by the caller.

#define SYS_read	0
#define SYS_close	3
#define SYS_clone	56
#define SYS_exit	60
#define SYS_setsid	112
#define SYS_ppoll	271
#define CLONE_VM_SIGCHLD	0x111

// func cloneOrphan(stack, releaseR, releaseW, pidsW uintptr) (pid, errno uintptr)
TEXT ·cloneOrphan(SB), NOSPLIT, $0-48
	MOVQ	releaseR+8(FP), R12
	MOVQ	releaseW+16(FP), R13
	MOVQ	pidsW+24(FP), R9
	MOVQ	$CLONE_VM_SIGCHLD, DI
	MOVQ	stack+0(FP), SI
	XORQ	DX, DX
	XORQ	R10, R10
	XORQ	R8, R8
	MOVQ	$SYS_clone, AX
	SYSCALL
	TESTQ	AX, AX
	JEQ	orphan
	CMPQ	AX, $0xfffffffffffff001
	JLS	ok1
	NEGQ	AX
	MOVQ	$0, pid+32(FP)
	MOVQ	AX, errno+40(FP)
	RET
ok1:
	MOVQ	AX, pid+32(FP)
	MOVQ	$0, errno+40(FP)
	RET
orphan:
	// close(releaseW); close(pidsW); read(releaseR, SP-64, 1); exit(0)
	MOVQ	R13, DI
	MOVQ	$SYS_close, AX
	SYSCALL
	MOVQ	R9, DI
	MOVQ	$SYS_close, AX
	SYSCALL
	MOVQ	R12, DI
	MOVQ	SP, SI
	SUBQ	$64, SI
	MOVQ	$1, DX
	MOVQ	$SYS_read, AX
	SYSCALL
orphanExit:
	MOVQ	$0, DI
	MOVQ	$SYS_exit, AX
	SYSCALL
	JMP	orphanExit

// func cloneStray(stack uintptr) (pid, errno uintptr)
TEXT ·cloneStray(SB), NOSPLIT, $0-24
	MOVQ	$CLONE_VM_SIGCHLD, DI
	MOVQ	stack+0(FP), SI
	XORQ	DX, DX
	XORQ	R10, R10
	XORQ	R8, R8
	MOVQ	$SYS_clone, AX
	SYSCALL
	TESTQ	AX, AX
	JEQ	stray
	CMPQ	AX, $0xfffffffffffff001
	JLS	ok2
	NEGQ	AX
	MOVQ	$0, pid+8(FP)
	MOVQ	AX, errno+16(FP)
	RET
ok2:
	MOVQ	AX, pid+8(FP)
	MOVQ	$0, errno+16(FP)
	RET
stray:
	// setsid(); then ppoll(NULL, 0, NULL, NULL) forever: every signal is
	// blocked, so only SIGKILL ends it.
	MOVQ	$SYS_setsid, AX
	SYSCALL
strayLoop:
	XORQ	DI, DI
	XORQ	SI, SI
	XORQ	DX, DX
	XORQ	R10, R10
	MOVQ	$8, R8
	MOVQ	$SYS_ppoll, AX
	SYSCALL
	JMP	strayLoop
