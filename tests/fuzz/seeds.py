#!/usr/bin/env python3
"""tests/fuzz/seeds.py - derive the seed corpora of tests/fuzz/corpus/<target>
from the unit tests' tables (tests/unit/test_*.c), in each target's input
format (described at the top of tests/fuzz/fuzz_<target>.c).

    tests/fuzz/seeds.py TARGET...     rewrite tests/fuzz/corpus/TARGET

The seeds are committed; rerun this after a unit table grows.  Files named
finding-* are kept: the (minimised) inputs of the README's "Findings"."""
import hashlib, os, re, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def unit(name):
    return open(os.path.join(ROOT, 'tests/unit', name)).read()


def write(target, seeds):
    d = os.path.join(ROOT, 'tests/fuzz/corpus', target)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if not f.startswith('finding-'):
            os.unlink(os.path.join(d, f))
    for name, data in seeds:
        safe = re.sub(r'[^A-Za-z0-9_.-]', '_', name)
        open(os.path.join(d, safe), 'wb').write(bytes(data))
    print(f'{target}: {len(seeds)} seeds')


def byte_list(s):
    return [int(x, 0) for x in re.findall(r'0x[0-9a-fA-F]+|\b\d+\b', s)]


# fuzz_insn.c: flags (bit 0 long mode, bit 1 raw exit), exit index, bytes.
INSN_EXITS = ['HLT', 'ICEBP', 'PAUSE', 'CPUID', 'MSR', 'RDTSC', 'RDPMC', 'INVD', 'WBINVD',
              'VMRUN', 'VMMCALL', 'VMLOAD', 'VMSAVE', 'STGI', 'CLGI', 'SKINIT', 'INVLPGA',
              'XSETBV', 'RDTSCP', 'RDPRU', 'MONITOR', 'MWAIT', 'MWAIT_COND', 'INVLPG']


def seeds_insn():
    src = unit('test_insn.c')
    out = []
    pat = re.compile(r'\{\s*"(\w+)",\s*B\(([^)]*)\),\s*(\d+),\s*SVM_EXIT_(\w+),\s*(true|false),\s*(-?\d+)\s*\}')
    for m in pat.finditer(src):
        name, b, avail, ex, lm = m.group(1), byte_list(m.group(2)), int(m.group(3)), m.group(4), m.group(5)
        b = (b + [0] * 16)[:avail]
        if ex in INSN_EXITS:
            out.append((name, [1 if lm == 'true' else 0, INSN_EXITS.index(ex)] + b))
        else:   # an exit the decoder does not handle: the raw 16-bit code
            code = int(re.search(r'#define SVM_EXIT_%s\s+(0x[0-9a-fA-F]+)' % ex,
                                 open(os.path.join(ROOT, 'svm/vmcb.h')).read()).group(1), 16)
            out.append((name, [(1 if lm == 'true' else 0) | 2, code & 0xff, code >> 8] + b))
    return out


# fuzz_mmio.c: flags (bit 0 64-bit, bit 1 CS.D), fetch control, 8 bytes register seed,
# 8 bytes read value, the CR of the intercept, then the bytes.
def seeds_mmio():
    src = unit('test_insn_mmio.c')
    out = []
    modes = {'M64': 1, 'M32': 2, 'M16': 0, 'true': 1, 'false': 2}
    pat = re.compile(r'\b(M64|M32|M16|true|false)\s*,\s*(?:B|BYTES)\(([^)]*)\)')
    for k, m in enumerate(pat.finditer(src)):
        b = byte_list(m.group(2))
        cr = 0
        if 0x0f in b and b.index(0x0f) + 2 < len(b) and b[b.index(0x0f) + 1] in (0x20, 0x22):
            i = b.index(0x0f)
            cr = ((b[i + 2] >> 3) & 7) | (8 if (i and 0x40 <= b[i - 1] <= 0x4f and b[i - 1] & 4) else 0)
        hdr = [modes[m.group(1)], 0] + list((0x0123456789abcdef + k).to_bytes(8, 'little'))
        hdr += list((0xfedcba9876543210 ^ k).to_bytes(8, 'little')) + [cr]
        out.append((f'unit-{k:03d}', hdr + b))
    return out


# fuzz_guest_walk.c: the scenarios of tests/unit/test_guest_walk.c (a present
# 4 KiB mapping and a large page in each mode, each access kind), in the input
# format: mode, controls, CR3 (2 bytes), GVA, read length - 1, then per level a
# flag byte (bit 0: address into RAM, bits 7:4 the page) and 8 bytes of entry.
def seeds_guest_walk():
    out = []
    levels = {1: 2, 2: 2, 3: 3, 4: 4, 5: 5}
    for mode in range(6):
        for ctl in (0x00, 0x01, 0x0b, 0x10, 0x18, 0x20, 0x26, 0x30):
            for large in (False, True):
                if large and mode in (0, 1):
                    continue
                gva = 0x00007f1234567ff8 if mode >= 4 else 0x12345ff8
                chain = []
                n = levels.get(mode, 0)
                for lv in range(n - 1, -1, -1):
                    e = 0x7 if not (mode == 3 and lv == 2) else 0x1
                    if large and lv == 1:
                        chain += [0x01 | (9 << 4)] + list((e | 0x80).to_bytes(8, 'little'))
                        break
                    chain += [0x01 | ((lv + 2) << 4)] + list(e.to_bytes(8, 'little'))
                data = [mode, ctl, 1, 0] + list(gva.to_bytes(8, 'little')) + [15] + chain
                out.append((f'mode{mode}-ctl{ctl:02x}{"-large" if large else ""}', data))
    return out


# fuzz_irqchip.c: the scenarios of tests/unit/test_vioapic.c and test_vpic.c as
# programs (op byte: low 4 bits the operation, high bits its flags; then operands).
IO_MW, IO_MR, IO_RW, IO_RR, IO_LINE, IO_EOI, IO_RTE, PIC_W, PIC_R, PIC_LINE, PIC_INTA, PIC_INIT = range(12)


def seeds_irqchip():
    def rte(pin, vec, level=False, low=False, masked=False, dm=0):
        v = vec | dm << 8 | (1 << 13 if low else 0) | (1 << 15 if level else 0) | (1 << 16 if masked else 0)
        return [IO_RW, 0x10 + 2 * pin] + list(v.to_bytes(4, 'little'))

    def line(pin, high):
        return [IO_LINE | (0x10 if high else 0), pin]

    pc_init = [PIC_INIT, 0x20, 0xfb, PIC_INIT | 0x00, 0x29, 0xff]
    seeds = {
        'vioapic_registers': [IO_MW, 0, 0, 0, 0, 0, IO_MR, 1, IO_MW, 0, 1, 0, 0, 0, IO_MR, 1,
                              IO_RW, 0, 0, 0, 0, 0x0f, IO_RR, 2] + [IO_RR, 0x10, IO_RR, 0x3f, IO_RR, 0x40],
        'vioapic_edge': rte(1, 0x31) + line(1, 1) + line(1, 0) + line(1, 1) + rte(1, 0x31, masked=True) + line(1, 0) + line(1, 1),
        'vioapic_edge_active_low': rte(3, 0x33, low=True) + line(3, 1) + line(3, 0),
        'vioapic_level_eoi': rte(5, 0x45, level=True) + line(5, 1) + [IO_EOI, 0x45] + line(5, 0) + [IO_EOI, 0x45],
        'vioapic_level_masked_unmask': rte(6, 0x46, level=True, masked=True) + line(6, 1) + rte(6, 0x46, level=True) + [IO_EOI | 0x10, 6],
        'vioapic_level_to_edge': rte(7, 0x47, level=True) + line(7, 1) + rte(7, 0x47) + rte(7, 0x47, level=True),
        'vioapic_eoi_many': sum((rte(p, 0x50, level=True) + line(p, 1) for p in range(24)), []) + [IO_EOI, 0x50],
        'vioapic_modes': sum((rte(p, 0x60 + p, level=True, dm=p % 8) + line(p, 1) for p in range(8)), []),
        'vpic_init_and_inta': pc_init + [PIC_LINE | 0x10, 1, PIC_INTA, 0, PIC_W, 0, 0x20, PIC_INTA, 0],
        'vpic_cascade': pc_init + [PIC_LINE | 0x10, 9, PIC_INTA, 0, PIC_W, 1, 0x20, PIC_W, 0, 0x20, PIC_INTA, 0],
        'vpic_priority': pc_init + [PIC_LINE | 0x10, 4, PIC_LINE | 0x10, 3, PIC_INTA, 0, PIC_LINE | 0x10, 1,
                                    PIC_INTA, 0, PIC_INTA, 0, PIC_W, 0, 0x63, PIC_W, 0, 0x20, PIC_INTA, 0],
        'vpic_level_aeoi': [PIC_INIT | 0x30, 0x20, 0x00, PIC_LINE | 0x10, 5, PIC_INTA, 0, PIC_INTA, 0,
                            PIC_W, 0, 0x0b, PIC_R, 0, PIC_W, 0, 0x0a, PIC_R, 0],
        'vpic_masked_latched': pc_init[:3] + [0x10] + [PIC_LINE | 0x10, 4, PIC_INTA, 0, PIC_W, 2, 0x00, PIC_INTA, 0],
        'vpic_icw1_single': [PIC_W, 0, 0x13, PIC_W, 2, 0x08, PIC_W, 2, 0x01, PIC_W, 2, 0x00, PIC_LINE | 0x10, 0, PIC_INTA, 0],
    }
    return sorted(seeds.items())


# fuzz_input.c: byte 0 the parser (0 HV.CFG, 1 MADT, 2 SPCR, 3 table search,
# 4 Multiboot), then its input.  HV.CFG: the string literals of
# tests/unit/test_config.c; MADT, SPCR, RSDP and the ELF kernels: the tables
# the builders of tests/unit/test_acpi.c and test_multiboot.c make.
def acpi_table(sig, body, rev=1):
    t = bytearray(sig.encode() + (36 + len(body)).to_bytes(4, 'little') + bytes([rev, 0]) +
                  b'FUZZOEFUZZTABL' + bytes(12) + bytes(body))
    t[9] = (-sum(t)) & 0xff
    return bytes(t)


def seeds_input():
    out = []
    src = unit('test_config.c')
    for k, m in enumerate(re.finditer(r'"((?:[^"\\]|\\.)*)"', src)):
        text = m.group(1).encode().decode('unicode_escape').encode('latin-1')
        if b'=' in text or b' ' in text:
            out.append((f'cfg-{k:03d}', [0, 160] + list(text)))
    # The module list at its maximum (CFG_MODULES_MAX, hv/config.h), and over it.
    mods = 'guest=/boot/kernel append="console=ttyS0 quiet" ' + ' '.join(f'module=/m{i}' for i in range(8))
    out.append(('cfg-modules-max', [0, 160] + list(mods.encode())))
    out.append(('cfg-modules-over', [0, 160] + list((mods + ' module=/m8').encode())))
    # MADT: the table of acpi_madt_lists_enabled_cpus.
    lapic = lambda uid, aid, fl: [0, 8, uid, aid] + list(fl.to_bytes(4, 'little'))
    x2 = lambda aid, fl, uid: [9, 16, 0, 0] + list(aid.to_bytes(4, 'little')) + \
        list(fl.to_bytes(4, 'little')) + list(uid.to_bytes(4, 'little'))
    ioapic = [1, 12, 0, 0] + list((0xfec00000).to_bytes(4, 'little')) + [0] * 4
    body = list((0xfee00000).to_bytes(4, 'little')) + [1, 0, 0, 0] + lapic(0, 0, 1) + ioapic + \
        lapic(1, 2, 1) + lapic(2, 4, 2) + x2(300, 1, 7) + lapic(3, 2, 1)
    madt = acpi_table('APIC', body)
    out.append(('madt-enabled-cpus', [1, 8] + list(madt)))
    out.append(('madt-max-2', [1, 2] + list(madt)))
    # SPCR: I/O COM1 at 115200 and a 32-bit MMIO UART.
    def spcr(space, width, access, addr, baud, itype):
        b = bytearray(80 - 36)
        b[0] = itype
        b[4:16] = bytes([space, width, 0, access]) + addr.to_bytes(8, 'little')
        b[0x3a - 36] = baud
        return acpi_table('SPCR', bytes(b), rev=2)
    out.append(('spcr-io', [2, 1] + list(spcr(1, 8, 1, 0x3f8, 7, 0))))
    out.append(('spcr-mmio32', [2, 1] + list(spcr(0, 32, 3, 0xfedc9000, 0, 0x12))))
    # Table search: RSDP (rev 2, XSDT) at 0x7e000000, XSDT at +0x100, the MADT at +0x200.
    base = 0x7e000000
    rsdp = bytearray(b'RSD PTR ' + bytes(1) + b'FUZZOE' + bytes([2]) + (base + 0x100).to_bytes(4, 'little') +
                     (36).to_bytes(4, 'little') + (base + 0x100).to_bytes(8, 'little') + bytes(4))
    rsdp[8] = (-sum(rsdp[:20])) & 0xff
    rsdp[32] = (-sum(rsdp[:36])) & 0xff
    xsdt = acpi_table('XSDT', (base + 0x200).to_bytes(8, 'little'))
    rsdt = acpi_table('RSDT', (base + 0x200).to_bytes(4, 'little'))
    for name, root in (('xsdt', xsdt), ('rsdt', rsdt)):
        mem = bytearray(0x200 + len(madt))
        mem[0:36] = rsdp
        if name == 'rsdt':
            mem[15] = 0
            mem[8] = 0
            mem[8] = (-sum(mem[:20])) & 0xff
        mem[0x100:0x100 + len(root)] = root
        mem[0x200:] = madt
        out.append((f'find-{name}', [3] + list(b'APIC') + list(mem)))
    # Multiboot: kernel32() of test_multiboot.c, and its ELF64 twin.
    for cls in (1, 2):
        e64 = cls == 2
        eh, ph = (64, 56) if e64 else (52, 32)
        f = bytearray(0x3100 + 64)
        f[0:4] = b'\x7fELF'
        f[4], f[5], f[6] = cls, 1, 1
        f[16:18] = (2).to_bytes(2, 'little')
        f[18:20] = (62 if e64 else 3).to_bytes(2, 'little')
        f[20:24] = (1).to_bytes(4, 'little')
        segs = [(0x1000, 0x100000, 0x2000, 0x2000), (0x3000, 0x103000, 0x100, 0x2000)]
        if e64:
            f[24:32] = (0xffffffff80100020).to_bytes(8, 'little')
            f[32:40] = eh.to_bytes(8, 'little')
            f[52:54], f[54:56], f[56:58] = eh.to_bytes(2, 'little'), ph.to_bytes(2, 'little'), (2).to_bytes(2, 'little')
        else:
            f[24:28] = (0x100010).to_bytes(4, 'little')
            f[28:32] = eh.to_bytes(4, 'little')
            f[40:42], f[42:44], f[44:46] = eh.to_bytes(2, 'little'), ph.to_bytes(2, 'little'), (2).to_bytes(2, 'little')
        for i, (off, pa, fs, ms) in enumerate(segs):
            h = eh + i * ph
            va = (0xffffffff80000000 | pa) if e64 else pa
            if e64:
                f[h:h + 4] = (1).to_bytes(4, 'little')
                for j, v in enumerate((off, va, pa, fs, ms)):
                    f[h + 8 + 8 * j:h + 16 + 8 * j] = v.to_bytes(8, 'little')
            else:
                for j, v in enumerate((1, off, va, pa, fs, ms)):
                    f[h + 4 * j:h + 4 + 4 * j] = v.to_bytes(4, 'little')
        flags = 3
        f[0x1000:0x1004] = (0x1BADB002).to_bytes(4, 'little')
        f[0x1004:0x1008] = flags.to_bytes(4, 'little')
        f[0x1008:0x100c] = ((-(0x1BADB002 + flags)) & 0xffffffff).to_bytes(4, 'little')
        cmd = b'console=ttyS0'
        mod = b'module bytes'
        data = [4, 0, 1] + list(len(cmd).to_bytes(2, 'little')) + list(cmd) + \
            list(len(mod).to_bytes(2, 'little')) + list(mod) + list(f)
        out.append((f'multiboot-elf{32 * cls}', data))
    return out


# fuzz_avic.c: a VM header (flags, x2AVIC bitmap, MAX_INDEX, per vCPU: ID,
# host ID, entry flags; then physical-table, logical-table and page patches;
# the MSRPM bits in mode 2), then operations (fz_step: kind in bits 2:0, its
# flags in 7:3, the vCPU, operands).  Handcrafted, a few per outcome:
# accelerated, 0x401 of each cause, 0x402 trap and fault, #GP, intercepted.
A_MMIO, A_MSR, A_ICR, A_EOI, A_SELF, A_RUN, A_PAGE, A_TPR = range(8)


def le(v, n):
    return list((v & ((1 << (8 * n)) - 1)).to_bytes(n, 'little'))


def avic_vm(n, x2=0, max_index=None, x4k=False, ext=False, clears=False, msrpm=0, vcpus=None,
            phys=(), log=(), pages=(), msrpm_bits=None):
    f = (n - 1) | (8 if x4k else 0) | (0x10 if ext else 0) | (0x20 if clears else 0) | (msrpm << 6)
    out = [f, x2] + le(n - 1 if max_index is None else max_index, 2)
    for k in range(n):
        vid, host, b = (vcpus or {}).get(k, (None, 0x20 + k, 0))
        out += le(0x8000 | vid if vid is not None else 0, 2) + le(host, 2) + [b]
    out.append(len(phys))
    for idx, ent in phys:
        out += le(idx, 2) + ent
    out.append(len(log))
    for idx, raw in log:
        out += [idx, 1] + le(raw, 4)
    out.append(len(pages))
    for pg, off, val in pages:
        out += [pg] + le(off, 2) + le(val, 4)
    # Per vCPU, for the format checks: an address for the VMCB pointer fields, bits ORed into the ID.
    for k in range(n):
        out += le((0x7f000000, 0x7f000800, 1 << 52, 0xffffffffff000)[k % 4], 8) + le(k << 12, 4)
    if msrpm == 2:
        out += (msrpm_bits or [0] * 64)
    return out


def ent(page=0, valid=True, running=True, host=0x20, kind=0, raw=0):
    f = (1 if valid else 0) | (2 if running else 0) | (kind << 2) | (page << 4)
    return [f] + le(host, 2) + (le(raw, 8) if kind >= 2 else [])


def mmio(cpu, off, write=False, val=0, unaligned=False):
    return [A_MMIO | (8 if write else 0) | (0x10 if unaligned else 0), cpu] + le(off, 2) + le(val, 4)


def rdmsr(cpu, msr):
    if 0x800 <= msr <= 0x8ff:
        return [A_MSR, cpu, msr - 0x800]
    return [A_MSR | 0x30, cpu] + le(msr, 4)


def wrmsr(cpu, msr, val):
    if 0x800 <= msr <= 0x8ff:
        return [A_MSR | 8, cpu, msr - 0x800] + le(val, 8)
    return [A_MSR | 0x38, cpu] + le(msr, 4) + le(val, 8)


def icr(cpu, lo, dest):
    return [A_ICR, cpu] + le(lo, 4) + le(dest, 4)


def eoi(cpu, vec=None, level=False):
    if vec is None:
        return [A_EOI, cpu]
    return [A_EOI | 8 | (0x10 if level else 0), cpu, vec]


def seeds_avic():
    out = []
    FIXED, NMI, INIT, LOWEST, LOGICAL, LEVEL, SELF, ALL, ALLX = 0, 0x400, 0x500, 0x100, 0x800, 0x8000, 1 << 18, 2 << 18, 3 << 18
    # Accelerated, 0x402 trap and fault: every xAPIC register read and written, both halves of the page.
    for half in (0, 0x800):
        out.append((f'xapic-read-{half:03x}', avic_vm(2) + sum((mmio(0, half + o) for o in range(0, 0x800, 0x10)), [])))
        out.append((f'xapic-write-{half:03x}', avic_vm(2, ext=bool(half)) +
                    sum((mmio(1, half + o, True, 0xffffffff) for o in range(0, 0x800, 0x10)), [])))
    out.append(('xapic-odd-offsets', avic_vm(1) + sum((mmio(0, o, w, 0x5a, True) for o in
                (0x81, 0x84, 0x8c, 0xb4, 0x302, 0x30c, 0xffc, 0x1000, 0x1234, 0xffff) for w in (False, True)), [])))
    # #GP, 0x402 and intercepted: every x2APIC MSR with all passed, then with the policy, and around the range.
    out.append(('x2apic-rdmsr-all', avic_vm(1, x2=1, msrpm=1) + sum((rdmsr(0, m) for m in range(0x800, 0x900)), [])))
    out.append(('x2apic-wrmsr-zero', avic_vm(1, x2=1, msrpm=1) + sum((wrmsr(0, m, 0) for m in range(0x800, 0x840)), [])))
    out.append(('x2apic-wrmsr-ones', avic_vm(1, x2=1, msrpm=1) +
                sum((wrmsr(0, m, 0xffffffff) for m in range(0x800, 0x840)), []) + wrmsr(0, 0x808, 1 << 32)))
    # Values guests write (§16.11-16.15): each writable bit of SVR, the LVTs, TDCR, and the must-be-zero ones.
    vals = [(0x808, 0x10), (0x80f, 0x1ff), (0x80f, 0x3ff), (0x80f, 0x11ff), (0x832, 0x20030), (0x832, 0x40030),
            (0x832, 0x1000), (0x833, 0x400), (0x834, 0x10400), (0x835, 0x700), (0x835, 0x8700), (0x836, 0x6400),
            (0x836, 0x10000), (0x837, 0x1000fe), (0x837, 0x200fe), (0x838, 0x12345), (0x83e, 0xb), (0x83e, 0xf),
            (0x828, 0), (0x828, 1), (0x80b, 0), (0x80b, 1), (0x83f, 0x30), (0x83f, 0x130), (0x802, 0)]
    out.append(('x2apic-wrmsr-values', avic_vm(1, x2=1, msrpm=1) + sum((wrmsr(0, m, v) for m, v in vals), [])))
    out.append(('x2apic-policy', avic_vm(1, x2=1) + sum((rdmsr(0, m) for m in range(0x800, 0x840)), []) +
                sum((wrmsr(0, m, 0) for m in (0x808, 0x80b, 0x80f, 0x830, 0x83f)), [])))
    out.append(('x2apic-msrpm-bits', avic_vm(1, x2=1, msrpm=2, msrpm_bits=[0x55, 0xaa, 0x0f, 0xf0] * 16) +
                sum((rdmsr(0, m) for m in range(0x800, 0x840)), [])))
    out.append(('msr-around', avic_vm(2, x2=1, msrpm=1) + sum((rdmsr(c, m) for m in
                (0x7ff, 0x900, 0x1b, 0xc001011b, 0x802, 0x8ff) for c in (0, 1)), [])))
    # IPIs: xAVIC physical, logical flat and cluster, broadcasts, shorthands; each 0x401 cause.
    x = avic_vm(4, vcpus={2: (None, 0x22, 1)})              # vCPU 2 not running
    out.append(('ipi-xapic-physical', x + sum((icr(0, FIXED | 0x40 + d, d) for d in range(5)), []) +
                icr(1, FIXED | 0x41, 0xff) + icr(1, SELF | 0x42, 0) + icr(1, ALL | 0x43, 0) + icr(1, ALLX | 0x44, 0)))
    out.append(('ipi-xapic-types', x + icr(0, LOWEST | 0x40, 1) + icr(0, NMI, 1) + icr(0, INIT, 1) + icr(0, LEVEL | 0x40, 1) +
                icr(0, FIXED | 0x05, 1) + icr(0, 0x700, 1) + icr(0, 0x300, 1)))
    out.append(('ipi-xapic-logical-flat', x + sum((icr(0, LOGICAL | 0x50, d) for d in (1, 2, 4, 8, 0x0f, 0x10, 0xf0, 0xfe)), [])))
    out.append(('ipi-xapic-logical-cluster', avic_vm(4, vcpus={k: (None, 0x20 + k, 0x20) for k in range(4)},
                log=[(4, 0x80000001), (5, 0x00000002), (6, 0x80001203)]) +
                sum((icr(0, LOGICAL | 0x60, d) for d in (1, 2, 3, 0x11, 0x12, 0x14, 0xf1, 0xe1)), [])))
    out.append(('ipi-xapic-dfr-other', avic_vm(2, pages=[(0, 0xe0, 0x5fffffff)]) + icr(0, LOGICAL | 0x60, 1)))
    bad = avic_vm(4, max_index=8, phys=[(1, ent(kind=1)), (2, ent(page=2, running=False, host=0x22)),
                                        (3, ent(kind=3, raw=(1 << 63) | (1 << 55) | 0x7000)),
                                        (5, ent(page=8, host=0x30)), (6, ent(page=9, valid=False)),
                                        (8, ent(page=1, host=0x20))])
    out.append(('ipi-xapic-invalid', bad + sum((icr(0, FIXED | 0x70, d) for d in range(10)), []) +
                icr(0, ALL | 0x71, 0) + icr(0, ALLX | 0x72, 0)))
    # x2AVIC: physical, logical (cluster:bitmap), the broadcast, 4K IDs.
    x2 = avic_vm(4, x2=0xf, msrpm=1, vcpus={3: (None, 0x23, 1)})
    out.append(('ipi-x2apic', x2 + sum((icr(0, FIXED | 0x80, d) for d in (0, 1, 2, 3, 4, 0x1000, 0xffffffff)), []) +
                sum((icr(1, LOGICAL | 0x81, d) for d in (1, 6, 0x0f, 0x10001, 0xffff)), []) +
                icr(2, SELF | 0x82, 0) + icr(2, ALL | 0x83, 0) + icr(2, ALLX | 0x84, 0) +
                icr(0, LOWEST | 0x40, 1) + icr(0, 0x1000 | 0x40, 1) + icr(0, 0x03, 1)))
    big = avic_vm(3, x2=7, x4k=True, max_index=0xfff, msrpm=1,
                  vcpus={0: (0x0ff, 0x20, 0), 1: (0xfff, 0x21, 0), 2: (0x800, 0x22, 1)},
                  phys=[(0x100, ent(page=8, host=0x40)), (0x1ff, ent(page=9, running=False, host=0x41))])
    out.append(('ipi-x2apic-4k', big + icr(0, FIXED | 0x90, 0xfff) + icr(1, FIXED | 0x91, 0xff) +
                icr(1, ALL | 0x92, 0) + icr(2, LOGICAL | 0x93, 0x00ff8001) + icr(0, FIXED | 0x94, 0x1000)))
    mixed = avic_vm(2, x2=2, max_index=0x1ff, msrpm=1, phys=[(0xff, ent(page=8, host=0x50)), (0x1ff, ent(page=9, host=0x51))])
    out.append(('ipi-mixed-broadcast', mixed + icr(0, ALL | 0xa0, 0) + icr(1, ALL | 0xa1, 0) + icr(0, FIXED | 0xa2, 0xff) +
                icr(1, FIXED | 0xa3, 0xff)))
    # EOI: none, edge, level, both readings of the level exit; TPR and PPR; SELF_IPI.
    for clears in (False, True):
        out.append((f'eoi{"-clears" if clears else ""}', avic_vm(2, x2=2, msrpm=1, clears=clears) +
                    eoi(0) + eoi(0, 0x41) + eoi(0, 0x52, True) + eoi(0) + eoi(0) + eoi(1, 0x61) + eoi(1, 0x72, True) +
                    eoi(1) + eoi(1) + [A_TPR, 0, 0x80, A_TPR, 1, 0x65] + eoi(0, 0x90) + [A_TPR, 0, 0xa0] + eoi(0)))
    out.append(('self-ipi', avic_vm(2, x2=1, msrpm=1) + sum(([A_SELF, 0, v] for v in (0, 15, 16, 0x20, 0xff)), []) +
                [A_SELF, 1, 0x30] + wrmsr(0, 0x83f, 0x100) + rdmsr(0, 0x83f)))
    out.append(('running', avic_vm(3) + [A_RUN | 8, 0] + le(1, 2) + le(0x31, 2) + icr(0, 0x40, 1) +
                [A_RUN, 0] + le(1, 2) + le(0x31, 2) + icr(0, 0x41, 1) + [A_PAGE, 0] + le(0xe0, 2) + le(0x0fffffff, 4) +
                icr(0, LOGICAL | 0x42, 0x02)))
    return out


GEN = {'insn': seeds_insn, 'mmio': seeds_mmio, 'guest_walk': seeds_guest_walk, 'irqchip': seeds_irqchip,
       'input': seeds_input, 'avic': seeds_avic}

if __name__ == '__main__':
    for t in sys.argv[1:] or sorted(GEN):
        write(t, GEN[t]())
