#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Turn references to placeholder symbols into klp relocations.

A livepatch test module reaches a symbol the module loader cannot resolve
(a static function of another module, a vmlinux function that is not
exported) through a weak undefined placeholder, which modpost and the
loader both accept.  After kbuild has linked the .ko, this tool rewrites
it the way the livepatch core expects (Documentation/livepatch/
module-elf-format.rst):

  - each placeholder is renamed .klp.sym.<object>.<name>,<pos> and gets
    st_shndx SHN_LIVEPATCH;
  - the relocations against it leave their RELA section for a new one,
    .klp.rela.<object>.<target section>, flagged SHF_ALLOC (so it stays in
    memory) and SHF_RELA_LIVEPATCH (so the loader leaves it to the core),
    with sh_link the symbol table and sh_info the section it patches.

Options that start with --bad- build deliberately malformed modules for
the tests of the core's checks.

The file is changed in place; everything new goes at its end, so no
existing offset or index moves.  A module converted before is left alone.
Handles 64-bit little-endian ELF with RELA relocations (x86_64).
"""

import argparse
import os
import struct
import sys

SHT_SYMTAB = 2
SHT_RELA = 4
SHF_ALLOC = 0x2
SHF_INFO_LINK = 0x40
SHF_RELA_LIVEPATCH = 0x00100000
SHN_UNDEF = 0
SHN_LIVEPATCH = 0xff20
STB_GLOBAL = 1
STB_WEAK = 2

EHDR = struct.Struct('<16sHHIQQQIHHHHHH')
E_SHOFF, E_SHENTSIZE, E_SHNUM, E_SHSTRNDX = 6, 11, 12, 13     # in EHDR
SHDR = struct.Struct('<IIQQQQIIQQ')
SYM = struct.Struct('<IBBHQQ')
RELA = struct.Struct('<QQq')


class ElfError(Exception):
    pass


class Section:
    """One section header, with its name and (for edits) new contents."""

    def __init__(self, raw, index):
        (self.name_off, self.type, self.flags, self.addr, self.offset,
         self.size, self.link, self.info, self.align,
         self.entsize) = SHDR.unpack(raw)
        self.index = index
        self.name = ''
        self.data = None    # new contents, written at the end of the file

    def pack(self):
        return SHDR.pack(self.name_off, self.type, self.flags, self.addr,
                         self.offset, self.size, self.link, self.info,
                         self.align, self.entsize)


class Module:
    """A relocatable ELF file, parsed as far as this tool needs."""

    def __init__(self, path):
        with open(path, 'rb') as f:
            self.buf = bytearray(f.read())
        ident = self.buf[:16]
        if ident[:4] != b'\x7fELF' or ident[4] != 2 or ident[5] != 1:
            raise ElfError('not a 64-bit little-endian ELF file')
        self.ehdr = list(EHDR.unpack_from(self.buf, 0))
        shoff = self.ehdr[E_SHOFF]
        shentsize, shnum = self.ehdr[E_SHENTSIZE], self.ehdr[E_SHNUM]
        if shentsize != SHDR.size or shnum == 0:
            raise ElfError('unexpected section header table')
        self.secs = [Section(self.buf[shoff + i * SHDR.size:
                                      shoff + (i + 1) * SHDR.size], i)
                     for i in range(shnum)]
        self.shstrtab = self.secs[self.ehdr[E_SHSTRNDX]]
        for sec in self.secs:
            sec.name = self.cstr(self.shstrtab, sec.name_off)
        symtabs = [s for s in self.secs if s.type == SHT_SYMTAB]
        if len(symtabs) != 1:
            raise ElfError('expected exactly one symbol table')
        self.symtab = symtabs[0]
        self.strtab = self.secs[self.symtab.link]
        if self.strtab is self.shstrtab:
            raise ElfError('symbol and section names share a string table')
        self.syms = [list(SYM.unpack_from(self.buf, off))
                     for off in range(self.symtab.offset,
                                      self.symtab.offset + self.symtab.size,
                                      SYM.size)]

    def cstr(self, sec, off):
        start = sec.offset + off
        end = self.buf.index(b'\0', start)
        return self.buf[start:end].decode()

    def sym_name(self, sym):
        return self.cstr(self.strtab, sym[0])

    def contents(self, sec):
        return self.buf[sec.offset:sec.offset + sec.size]


def append_string(sec, table, text):
    """Add TEXT to string table SEC (contents TABLE); return its offset."""
    off = len(table)
    table += text.encode() + b'\0'
    sec.data = table
    return off


def parse_target(spec):
    """'<object>.<name>,<pos>' -> (object, full .klp.sym name)."""
    obj, dot, rest = spec.partition('.')
    name, comma, pos = rest.rpartition(',')
    if not (obj and dot and name and comma and pos):
        raise ElfError(f"'{spec}' is not <object>.<name>,<pos>")
    return obj, f'.klp.sym.{obj}.{name},{pos}'


def convert(mod, opts):
    # Placeholder -> (object whose section gets its relocations, new name).
    wanted = {}
    for spec in opts.sym:
        ext, eq, target = spec.partition('=')
        if not eq:
            raise ElfError(f"--sym '{spec}' is not <placeholder>=<target>")
        wanted[ext] = parse_target(target)
    for spec in opts.bad_section_object:
        ext, _, obj = spec.partition('=')
        wanted[ext] = (obj, wanted[ext][1])
    sec_names = dict(s.partition('=')[::2] for s in opts.bad_section_name)

    if any(s.name.startswith('.klp.rela.') for s in mod.secs):
        return 'already converted'

    # Rename the placeholders and mark them as livepatch symbols.
    strtab = bytearray(mod.contents(mod.strtab))
    by_index = {}
    for i, sym in enumerate(mod.syms):
        name = mod.sym_name(sym)
        if name not in wanted:
            continue
        if sym[3] != SHN_UNDEF:
            raise ElfError(f"placeholder '{name}' is defined in the module")
        obj, klp_name = wanted[name]
        sym[0] = append_string(mod.strtab, strtab, klp_name)
        if name in opts.bad_keep_undef:
            # Weak, so that the module loader lets it through.
            sym[1] = (STB_WEAK << 4) | (sym[1] & 0xf)
        else:
            sym[3] = SHN_LIVEPATCH
            sym[1] = (STB_GLOBAL << 4) | (sym[1] & 0xf)
        by_index[i] = obj
        del wanted[name]
    if wanted:
        raise ElfError('placeholder(s) not referenced: ' + ', '.join(wanted))

    # Move every relocation against a placeholder to its klp section.
    # Those in sections that are not loaded (debug info) stay: the loader
    # ignores them.
    new_secs = {}
    for rela in [s for s in mod.secs if s.type == SHT_RELA and
                 mod.secs[s.info].flags & SHF_ALLOC]:
        keep = bytearray()
        old = mod.contents(rela)
        for off in range(0, len(old), RELA.size):
            entry = old[off:off + RELA.size]
            obj = by_index.get(RELA.unpack(entry)[1] >> 32)
            if obj is None:
                keep += entry
                continue
            target = mod.secs[rela.info]
            key = (obj, target.index)
            if key not in new_secs:
                new_secs[key] = bytearray()
            new_secs[key] += entry
        if len(keep) != len(old):
            mod.buf[rela.offset:rela.offset + len(old)] = \
                keep + bytes(len(old) - len(keep))
            rela.size = len(keep)
    if not new_secs:
        raise ElfError('no relocation refers to a placeholder')

    shstrtab = bytearray(mod.contents(mod.shstrtab))
    for (obj, target), relas in sorted(new_secs.items()):
        name = sec_names.get(obj,
                             f'.klp.rela.{obj}.{mod.secs[target].name}')
        sec = Section(bytes(SHDR.size), len(mod.secs))
        sec.name = name
        sec.name_off = append_string(mod.shstrtab, shstrtab, name)
        sec.type = SHT_RELA
        sec.flags = SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH
        sec.link = mod.symtab.index
        sec.info = target
        sec.align = 8
        sec.entsize = RELA.size
        sec.data = relas
        mod.secs.append(sec)

    # The symbol table keeps its place and size; rewrite it there.
    for i, sym in enumerate(mod.syms):
        SYM.pack_into(mod.buf, mod.symtab.offset + i * SYM.size, *sym)
    return f'{len(by_index)} symbol(s), {len(new_secs)} section(s)'


def write(mod, path):
    """Append changed contents and a new section header table."""
    out = mod.buf
    for sec in mod.secs:
        if sec.data is None:
            continue
        out += bytes(-len(out) % 8)
        sec.offset = len(out)
        sec.size = len(sec.data)
        out += sec.data
    out += bytes(-len(out) % 8)
    mod.ehdr[E_SHOFF] = len(out)
    mod.ehdr[E_SHNUM] = len(mod.secs)
    for sec in mod.secs:
        out += sec.pack()
    EHDR.pack_into(out, 0, *mod.ehdr)

    tmp = path + '.klp-rela.tmp'
    with open(tmp, 'wb') as f:
        f.write(out)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('module', help='the .ko to convert, in place')
    ap.add_argument('--sym', action='append', default=[], metavar='P=O.N,POS',
                    help='placeholder P becomes symbol N of object O at '
                         'kallsyms position POS (0: N is unique)')
    ap.add_argument('--bad-keep-undef', action='append', default=[],
                    metavar='P', help='rename P but leave it SHN_UNDEF '
                    '(weak, so that only the livepatch core objects)')
    ap.add_argument('--bad-section-object', action='append', default=[],
                    metavar='P=O', help="put P's relocations in object O's "
                    'section instead of its own')
    ap.add_argument('--bad-section-name', action='append', default=[],
                    metavar='O=NAME', help="name object O's section NAME")
    opts = ap.parse_args()

    try:
        mod = Module(opts.module)
        what = convert(mod, opts)
        if what != 'already converted':
            write(mod, opts.module)
    except (ElfError, OSError, IndexError, KeyError, ValueError,
            struct.error) as e:
        sys.exit(f'klp-rela: {opts.module}: {e}')
    print(f'  KLP-RELA {os.path.basename(opts.module)}: {what}')


if __name__ == '__main__':
    main()
