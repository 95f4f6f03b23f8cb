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


GEN = {'insn': seeds_insn, 'mmio': seeds_mmio, 'guest_walk': seeds_guest_walk, 'irqchip': seeds_irqchip,
       'input': seeds_input}

if __name__ == '__main__':
    for t in sys.argv[1:] or sorted(GEN):
        write(t, GEN[t]())
