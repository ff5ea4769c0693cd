/* SPDX-License-Identifier: GPL-2.0 */
/*
 * portal-l2.S - a bare-metal nested guest (L2) for dsa-nested-portal-test:
 * a multiboot image that QEMU's -kernel starts in 32-bit protected mode
 * without paging.  It moves BAR2 (the portals) of the Intel DSA at
 * 00:05.0 to PORTAL_BASE, enables memory decoding, stores one descriptor
 * with MOVDIR64B to the first 64-byte slot of WQ 0's first portal and,
 * as a control, another with eight plain 8-byte stores (MMX MOVQ) to the
 * second slot, says so on COM1 and stops QEMU (-no-reboot) with a triple
 * fault.  Under a VMM that assigned the DSA with vfio-pci, the portal is
 * the VMM's mapping of the device's BAR: the device below sees what the
 * VMM made of each store.
 *
 * Build: gcc -m32 -c -o portal-l2.o portal-l2.S &&
 *        ld -m elf_i386 -N -Ttext=0x100000 -e _start -o portal-l2.elf portal-l2.o
 */

#define PCI_ADDR(dev, reg)	(0x80000000 | (dev) << 11 | (reg))
#define DSA_DEV		5
#define DSA_ID		0x0b258086
#define PORTAL_BASE	0xe0000000
#define COM1		0x3f8

	.code32
	.text
	.globl _start
	.balign 4
multiboot_header:
	.long 0x1badb002		/* magic */
	.long 0				/* flags: an ELF image, no requests */
	.long -0x1badb002		/* checksum */

_start:
	mov	$stack_top, %esp
	mov	$msg_start, %esi
	call	puts

	mov	$PCI_ADDR(DSA_DEV, 0x00), %eax
	call	pci_read
	cmp	$DSA_ID, %eax
	jne	no_device

	/* Memory decoding off while BAR2 (64-bit) moves below 4 GiB. */
	mov	$PCI_ADDR(DSA_DEV, 0x04), %eax
	xor	%ecx, %ecx
	call	pci_write
	mov	$PCI_ADDR(DSA_DEV, 0x18), %eax
	mov	$PORTAL_BASE, %ecx
	call	pci_write
	mov	$PCI_ADDR(DSA_DEV, 0x1c), %eax
	xor	%ecx, %ecx
	call	pci_write
	mov	$PCI_ADDR(DSA_DEV, 0x04), %eax
	mov	$0x0002, %ecx			/* memory space */
	call	pci_write

	/* movdir64b (%esi), %edi */
	mov	$PORTAL_BASE, %edi
	mov	$desc, %esi
	.byte	0x66, 0x0f, 0x38, 0xf8, 0x3e

	/* The control: the next slot, eight 8-byte stores in order. */
	add	$64, %edi
	xor	%ecx, %ecx
1:	movq	(%esi,%ecx,8), %mm0
	movq	%mm0, (%edi,%ecx,8)
	inc	%ecx
	cmp	$8, %ecx
	jne	1b
	emms

	mov	$msg_done, %esi
	call	puts
	jmp	stop

no_device:
	mov	$msg_no_device, %esi
	call	puts

stop:
	/* No IDT: the breakpoint becomes a triple fault, which ends QEMU. */
	lidt	null_idt
	int3
	hlt
	jmp	stop

/* %eax: config address; returns the dword in %eax */
pci_read:
	mov	$0xcf8, %dx
	out	%eax, %dx
	mov	$0xcfc, %dx
	in	%dx, %eax
	ret

/* %eax: config address, %ecx: the dword to write */
pci_write:
	mov	$0xcf8, %dx
	out	%eax, %dx
	mov	$0xcfc, %dx
	mov	%ecx, %eax
	out	%eax, %dx
	ret

/* %esi: NUL-terminated string for COM1 */
puts:
	mov	$COM1, %dx
2:	lodsb
	test	%al, %al
	jz	3f
	out	%al, %dx
	jmp	2b
3:	ret

	.data
	.balign 64
/* A NOOP descriptor: opcode 0, flags CRAV; the rest a pattern. */
desc:
	.long	0x00000000, 0x00000004
	.quad	0x1122334455667788
	.quad	0x2233445566778899
	.quad	0x33445566778899aa
	.quad	0x445566778899aabb
	.quad	0x5566778899aabbcc
	.quad	0x66778899aabbccdd
	.quad	0x778899aabbccddee

	.balign 8
null_idt:
	.word	0
	.long	0

msg_start:
	.asciz	"portal-l2: started\n"
msg_done:
	.asciz	"portal-l2: stored a descriptor with MOVDIR64B and one with 8-byte stores\n"
msg_no_device:
	.asciz	"portal-l2: no Intel DSA at 00:05.0\n"

	.bss
	.balign 16
	.skip	4096
stack_top:
