/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest <-> VMM wire protocol: port numbers, event encoding, completion
 * codes and the fw_cfg config file. guestfw/include/hvsmoke.inc mirrors it.
 */
#ifndef HVSMOKE_PROTOCOL_H
#define HVSMOKE_PROTOCOL_H

#include <stdint.h>

#define PORT_DEBUGCON		0x00e9	/* byte writes: text, QEMU debugcon */
#define PORT_EVENT		0x00ec	/* 32-bit writes: one event each */
#define PORT_COMPLETION		0x00f4	/* QEMU isa-debug-exit semantics */
#define PORT_POST		0x0080	/* POST codes: counted, ignored */
#define PORT_APM_CNT		0x00b2	/* APM control: a write raises an SMI on the writer */
#define PORT_PCI_CONFIG_ADDR	0x0cf8	/* the VMM has no PCI: config reads float high */
#define PORT_PCI_CONFIG_DATA	0x0cfc
#define PORT_FWCFG_SEL		0x0510	/* 16-bit write: select key */
#define PORT_FWCFG_DATA		0x0511	/* 8-bit read: next byte */
/*
 * fw_cfg's DMA address register, 64-bit big-endian, as two 32-bit ports:
 * the high half, then the low half, whose write starts the transfer.
 */
#define PORT_FWCFG_DMA_HI	0x0514
#define PORT_FWCFG_DMA_LO	0x0518
#define PORT_EVSTREAM		0x00ed	/* byte writes: event records (CFG_F_EVSTREAM) */

/*
 * An event is one dword written with `out dx, eax` to PORT_EVENT:
 *   bits  4:0  type (enum ev_type)
 *   bits 15:5  APIC ID of the reporting (or reported) CPU: 11 bits, so
 *              x2APIC IDs up to 2047 fit (the firmware uses up to 1023)
 *   bits 31:16 argument, meaning depends on the type
 * The argument keeps its 16 bits (SMBASEs >> 4, revision IDs); the type
 * gave up the bits the APIC ID needed (protocol version 3).
 */
#define EV_TYPE_BITS	5
#define EV_APIC_BITS	11
#define EV_APIC_LIMIT	(1u << EV_APIC_BITS)
#define EV_TYPE(v)	((uint8_t)((v) & ((1u << EV_TYPE_BITS) - 1)))
#define EV_APIC(v)	((uint16_t)(((v) >> EV_TYPE_BITS) & (EV_APIC_LIMIT - 1)))
#define EV_ARG(v)	((uint16_t)((v) >> 16))
#define EV_MAKE(type, apic, arg) \
	((uint32_t)(type) | ((uint32_t)(apic) << EV_TYPE_BITS) | ((uint32_t)(arg) << 16))

enum ev_type {
	EV_BOOT		= 0x01,	/* BSP entered protected mode; arg = expected CPUs */
	EV_AP_ONLINE	= 0x02,	/* an AP reached 32-bit code; arg = arrival index */
	EV_SCAN_DONE	= 0x03,	/* BSP wait ended; arg = APs online */
	EV_PHASE	= 0x04,	/* arg = enum fw_phase */
	EV_AP_MISSING	= 0x05,	/* reported by the BSP; apic = the missing AP */
	EV_AP_DUPLICATE	= 0x06,	/* an AP found its online bit already set */
	EV_AP_RESET	= 0x07,	/* a non-BSP CPU executed the reset vector */
	EV_ERROR	= 0x08,	/* arg = enum fw_error */
	EV_SMM_TRIGGER	= 0x09,	/* a CPU is about to raise an SMI on itself; arg = enum smm_route */
	EV_SMM_ENTER	= 0x0a,	/* from the SMI handler; arg = the SMBASE it runs at, >> 4 */
	EV_SMM_EXIT	= 0x0b,	/* from the handler before RSM; arg = the SMBASE for the next SMI, >> 4 */
	EV_SMM_REVISION	= 0x0c,	/* from the handler; arg = the save-state revision ID's low 16 bits */
	EV_TYPE_MAX	= EV_SMM_REVISION,
};

enum fw_phase {
	PHASE_PMODE	= 1,	/* BSP in flat protected mode */
	PHASE_CONFIG	= 2,	/* fw_cfg read */
	PHASE_LAPIC_ON	= 3,	/* BSP LAPIC software-enabled */
	PHASE_INIT_SENT	= 4,
	PHASE_SIPI_SENT	= 5,	/* both SIPIs sent */
	PHASE_STORM	= 6,	/* the BSP's pre-INIT POST-code storm is over */
	PHASE_MAX	= PHASE_STORM,
};

enum fw_error {
	FWERR_CONFIG	= 1,	/* config file present but malformed */
	FWERR_ICR_BUSY	= 2,	/* ICR delivery status never cleared */
	FWERR_TOO_MANY	= 3,	/* more CPUs than the firmware supports */
	FWERR_SMM_REVISION = 4,	/* a save-state revision ID the handler does not know */
	FWERR_SMM_TIMEOUT = 5,	/* an SMI was not taken (or did not return) in time */
	FWERR_NO_X2APIC	= 6,	/* x2APIC mode needed (CFG_F_X2APIC or > 255 CPUs), CPUID.1:ECX[21] clear */
	FWERR_APIC_ID	= 7,	/* an AP's APIC ID is beyond the bitmap; the event's APIC ID
				 * field is all ones */
	FWERR_MAX	= FWERR_APIC_ID,
};

/* Written to PORT_COMPLETION; QEMU's isa-debug-exit exits with (code << 1) | 1. */
enum fw_completion {
	DONE_PASS	= 0x10,
	DONE_AP_MISSING	= 0x11,
	DONE_AP_DUP	= 0x12,
	DONE_AP_RESET	= 0x13,
	DONE_CONFIG	= 0x14,
	DONE_ICR	= 0x15,
	DONE_SMM_MISSING = 0x16,	/* a CPU never entered SMM for one of its SMIs */
	DONE_SMM_STUCK	= 0x17,		/* a CPU entered SMM and never came back */
	DONE_SMM_RELOC	= 0x18,		/* an SMI after relocation did not land at the new SMBASE */
	DONE_MAX	= DONE_SMM_RELOC,
};

/* How a CPU raises an SMI on itself (EV_SMM_TRIGGER's argument). */
enum smm_route {
	SMM_ROUTE_LAPIC	= 1,	/* ICR: delivery mode SMI, destination = own APIC ID */
	SMM_ROUTE_APM	= 2,	/* a write to PORT_APM_CNT */
};

/*
 * The SMM stage: each CPU takes three SMIs on itself: LAPIC (at the default
 * SMBASE, where the handler relocates it), then APM and LAPIC again (both at
 * its new SMBASE). SMBASEs are >> 4 in events.
 */
#define SMM_DEFAULT_SMBASE	0x30000u
#define SMM_PERCPU_BASE		0x40000u	/* + APIC ID * SMM_PERCPU_STRIDE */
#define SMM_PERCPU_STRIDE	0x400u
#define SMM_SMIS_PER_CPU	3

/*
 * The pause credit (guest-physical, a little-endian qword): TSC ticks the
 * guest spent paused by QMP stop, added by the VMM at cont while the vCPUs
 * are parked. The firmware measures every deadline on TSC minus this, so a
 * pause stops its clocks as it stops the VMM's.
 */
#define GPA_PAUSE_TSC		0x0ff8

/* fw_cfg keys (QEMU's numbering) */
#define FW_CFG_SIGNATURE	0x0000
#define FW_CFG_ID		0x0001
#define FW_CFG_NB_CPUS		0x0005
#define FW_CFG_FILE_DIR		0x0019
#define FW_CFG_FILE_FIRST	0x0020

/* FW_CFG_ID's feature bits */
#define FW_CFG_ID_TRADITIONAL	(1u << 0)
#define FW_CFG_ID_DMA		(1u << 1)

/*
 * The DMA interface (QEMU's docs/specs/fw_cfg.rst, "Guest-side DMA
 * Interface"): the guest writes the address of an FWCfgDmaAccess, all
 * big-endian: be32 control, be32 length, be64 address. The device clears
 * control on success or leaves FWCFG_DMA_ERROR in it.
 */
#define FWCFG_DMA_ERROR		(1u << 0)
#define FWCFG_DMA_READ		(1u << 1)
#define FWCFG_DMA_SKIP		(1u << 2)
#define FWCFG_DMA_SELECT	(1u << 3)	/* the key is in bits 31:16 */
#define FWCFG_DMA_WRITE		(1u << 4)
#define FWCFG_DMA_DESC_SIZE	16
#define FWCFG_DMA_SIGNATURE	0x51454d5520434647ull	/* what the register reads: "QEMU CFG" */

#define HVSMOKE_CFG_NAME	"opt/hvsmoke/config"
#define HVSMOKE_CFG_MAGIC	0x31535648u	/* "HVS1" little-endian */
/* 3: the 11-bit APIC ID in events, 7-byte stream records, CFG_F_X2APIC */
#define HVSMOKE_CFG_VERSION	3

#define CFG_F_CONSOLE		(1u << 0)	/* print text lines on PORT_DEBUGCON */
#define CFG_F_SMM		(1u << 1)	/* run the SMM stage */
#define CFG_F_EVSTREAM		(1u << 2)	/* events as byte records on PORT_EVSTREAM */
/*
 * With CFG_F_EVSTREAM: before a failing completion code goes to
 * PORT_COMPLETION (where QEMU's isa-debug-exit ends the process), the BSP
 * waits, bounded by the scan deadline, for one byte on the COM1 UART
 * (PORT_ACK_UART), so the VMM can read every CPU's state first.
 */
#define CFG_F_EVACK		(1u << 3)
/*
 * Every CPU switches its LAPIC to x2APIC mode (IA32_APIC_BASE EN|EXTD) and
 * uses the x2APIC MSRs: its ID from MSR 0x802, IPIs through the ICR at MSR
 * 0x830. The firmware does this with more than HVSMOKE_MAX_XAPIC_CPUS CPUs
 * whether or not the flag is set. Not with CFG_F_SMM: the SMM stage is
 * xAPIC-only (HVSMOKE_SMM_MAX_CPUS).
 */
#define CFG_F_X2APIC		(1u << 4)
#define CFG_F_KNOWN		(CFG_F_CONSOLE | CFG_F_SMM | CFG_F_EVSTREAM | CFG_F_EVACK | \
				 CFG_F_X2APIC)
#define PORT_ACK_UART		0x03f8	/* 16550: data at +0, line status at +5 (bit 0: data ready) */

/*
 * The event stream, for VMMs whose debug ports are byte-wide (QEMU's
 * isa-debugcon): with CFG_F_EVSTREAM every event and the completion code go
 * to PORT_EVSTREAM as 7-byte records instead of PORT_EVENT/only PORT_COMPLETION:
 *   byte 0     kind: EVS_EVENT or EVS_DONE
 *   bytes 1-2  little-endian: the writer's APIC ID (from its LAPIC: the
 *              x2APIC ID MSR in x2APIC mode, else the xAPIC ID register)
 *   bytes 3-6  little-endian: the event dword (EVS_EVENT) or the completion
 *              code (EVS_DONE, written just before PORT_COMPLETION)
 * A record is written under a lock in guest RAM, so records from different
 * CPUs never interleave; a CPU that cannot take the lock within the scan
 * deadline writes anyway, and the reader then reports a broken record.
 */
#define EVS_EVENT		0xa5
#define EVS_DONE		0xd0
#define EVS_RECORD_SIZE		7

/* How the BSP wakes the APs (the config's ipi_pattern). */
enum ipi_pattern {
	IPI_HVSMOKE	= 0,	/* INIT, SIPI, SIPI, each once the ICR is idle */
	IPI_SEABIOS	= 1,	/* INIT then one SIPI straight after, as SeaBIOS's smp_scan */
	IPI_MPSPEC	= 2,	/* INIT, 10 ms, SIPI, 200 us, SIPI (MP spec, Linux, edk2) */
	IPI_PATTERN_MAX	= IPI_MPSPEC,
};

/* The config file, little-endian, exactly HVSMOKE_CFG_SIZE bytes. */
struct hvsmoke_cfg {
	uint32_t magic;
	uint16_t version;
	uint16_t size;
	uint32_t flags;
	uint32_t expected_cpus;		/* 0: use FW_CFG_NB_CPUS */
	uint64_t scan_deadline_tsc;	/* TSC ticks the BSP waits for APs; 0: default */
	uint64_t storm_tsc;		/* TSC ticks each CPU writes POST codes to port 0x80:
					 * the BSP before INIT and while it waits, each AP
					 * after it reports online; 0: no storm */
	uint32_t tsc_khz;		/* TSC ticks per ms, for the IPI pattern's delays */
	uint32_t ipi_pattern;		/* enum ipi_pattern */
} __attribute__((packed));

#define HVSMOKE_CFG_SIZE	40

/* Highest CPU count the firmware's online bitmap (one bit per APIC ID) holds. */
#define HVSMOKE_MAX_CPUS	1024
/* Above this many CPUs the firmware runs in x2APIC mode: 0xff is the xAPIC broadcast ID. */
#define HVSMOKE_MAX_XAPIC_CPUS	255
/*
 * The SMM stage's per-CPU SMRAM (SMM_PERCPU_BASE + ID * SMM_PERCPU_STRIDE),
 * records and stacks all live below 0xa0000, laid out for xAPIC IDs: it runs
 * with at most this many CPUs and in xAPIC mode only.
 */
#define HVSMOKE_SMM_MAX_CPUS	255

#endif
