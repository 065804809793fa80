-- Hidden tests, part 1: the carry chain at 8 and 16 bits, AF, memory operands.

local CF, PF, AF, ZF, SF, OF = 0x1, 0x4, 0x10, 0x40, 0x80, 0x800
local ARITH = CF | PF | AF | ZF | SF | OF

local function case(code, asm, regs, reg, mask, want, flags)
  regs.eflags = regs.eflags or 0x2
  local r = vlab.exec{ code = code, regs = regs, insns = 100 }
  local ctx = string.format("%s with %s=0x%x ebx=0x%x eflags=0x%x (part 1: exec_alu.c/flags.c)",
                            asm, reg, regs[reg] or 0, regs.ebx or 0, regs.eflags)
  expect.eq(r.exit, "done", ctx .. ": runs without an exception")
  expect.eq(r[reg] & mask, want, ctx .. ": the result")
  expect.eq(r[reg] & ~mask & 0xffffffff, (regs[reg] or 0) & ~mask & 0xffffffff, ctx .. ": the bits outside the operand are kept")
  expect.eq(r.eflags & ARITH, flags, ctx .. string.format(": the arithmetic flags (OF=0x800 SF=0x80 ZF=0x40 AF=0x10 PF=0x4 CF=0x1)"))
end

test{ name = "hidden: SBB and ADC with a carry in at 8 and 16 bits", points = 3, part = "alu",
      visibility = "hidden", parent = "ADC and SBB use the carry in",
      limits = { insns = 1000, cpu_seconds = 2 }, fn = function()
  -- sbb al,bl: 0x80 - 0 - 1 = 0x7f, signed overflow
  case("\x18\xd8", "sbb al,bl", { eax = 0x55aa5580, ebx = 0, eflags = 0x3 }, "eax", 0xff, 0x7f, OF | AF)
  -- sbb ax,bx: 0 - 0xffff - 1 = 0 with a borrow
  case("\x66\x19\xd8", "sbb ax,bx", { eax = 0x12340000, ebx = 0xffff, eflags = 0x3 }, "eax", 0xffff, 0, CF | ZF | AF | PF)
  -- adc al,bl: 0xff + 0 + 1 = 0 with a carry out of bit 7
  case("\x10\xd8", "adc al,bl", { eax = 0x000000ff, ebx = 0, eflags = 0x3 }, "eax", 0xff, 0, CF | ZF | AF | PF)
  -- adc ax,bx: 0x7fff + 0 + 1 = 0x8000, overflow
  case("\x66\x11\xd8", "adc ax,bx", { eax = 0x00007fff, ebx = 0, eflags = 0x3 }, "eax", 0xffff, 0x8000, OF | SF | AF | PF)
  -- sbb bh,al (18 c7): bh = 0x00 - 0xff - 1 = 0x00, borrow; AH..BH encoding
  case("\x18\xc7", "sbb bh,al", { eax = 0xff, ebx = 0x0000, eflags = 0x3 }, "ebx", 0xff00, 0, CF | ZF | AF | PF)
end }

test{ name = "hidden: AF, PF and memory operands", points = 2, part = "alu",
      visibility = "hidden", parent = "ADD: carry, overflow, zero and the 8/16-bit forms",
      limits = { insns = 1000, cpu_seconds = 2 }, fn = function()
  case("\x00\xd8", "add al,bl", { eax = 0x08, ebx = 0x08 }, "eax", 0xff, 0x10, AF)
  case("\x28\xd8", "sub al,bl", { eax = 0x10, ebx = 0x01 }, "eax", 0xff, 0x0f, AF | PF)
  case("\x01\xd8", "add eax,ebx", { eax = 0x100, ebx = 0x3 }, "eax", 0xffffffff, 0x103, PF)
  -- add dword [0x2000],ebx ; mov eax,[0x2000] -- a memory destination
  local r = vlab.exec{ code = "\xc7\x05\x00\x20\x00\x00\xff\xff\xff\xff\x01\x1d\x00\x20\x00\x00\xa1\x00\x20\x00\x00",
                       regs = { ebx = 2, eflags = 0x2 }, insns = 100 }
  expect.eq(r.exit, "done", "mov dword [0x2000],-1; add [0x2000],ebx; mov eax,[0x2000] runs")
  expect.eq(r.eax, 1, "ADD with a memory destination writes memory: 0xffffffff + 2")
  expect.eq(r.eflags & ARITH, CF | AF, "its flags: CF AF (result 1: PF clear)")
end }
