-- Lab 1 (full emulation): the public tests.
--
-- Every test reads structured results: the registers and EFLAGS of
-- vlab.exec, the walk records of vlab.walk, guest memory, the trace and the
-- statistics. The console is read only where it is the result (the kernel's
-- init reports its own tests). The instructor's tests are in hidden/.
--
-- Parts: alu (part 1, core/cpu/exec_alu.c + flags.c), paging (part 2,
-- core/mmu/walk.c), gates (part 3, core/cpu/intr.c), pic (part 4,
-- core/dev/pic8259.c), kernel (everything together).

local KERNEL = "build/guests/kernel.elf"
local HELLO = "build/guests/hello.elf"

-- EFLAGS bits
local CF, PF, AF, ZF, SF, OF = 0x1, 0x4, 0x10, 0x40, 0x80, 0x800
local ARITH = CF | PF | AF | ZF | SF | OF

local function flagnames(f)
  local s = {}
  for _, p in ipairs{ { OF, "OF" }, { SF, "SF" }, { ZF, "ZF" }, { AF, "AF" }, { PF, "PF" }, { CF, "CF" } } do
    if f & p[1] ~= 0 then s[#s + 1] = p[2] end
  end
  return #s > 0 and table.concat(s, " ") or "none"
end

-- Runs one instruction sequence with vlab.exec and checks the result
-- register and the six arithmetic flags exactly.
--   c = { code =, asm = "add eax,ebx", regs = {...}, reg = "eax", mask = 0xffffffff,
--         want = value, flags = CF|ZF... }
local function alu_case(c)
  local regs = c.regs
  regs.eflags = regs.eflags or 0x2
  local r = vlab.exec{ code = c.code, regs = regs, insns = 100 }
  local ctx = string.format("%s with %s (part 1: exec_alu.c/flags.c)", c.asm, c.desc)
  expect.eq(r.exit, "done", ctx .. ": the instruction must execute (a stub raises #UD); exception " ..
            tostring(r.exception and r.exception.vector))
  local mask = c.mask or 0xffffffff
  expect.eq(r[c.reg or "eax"], c.want, ctx .. ": the result in " .. (c.reg or "eax") ..
            (mask ~= 0xffffffff and " (bits outside the operand must not change)" or ""))
  local got = r.eflags & ARITH
  expect.eq(got, c.flags, string.format("%s: the arithmetic flags: expected %s, seen %s",
            ctx, flagnames(c.flags), flagnames(got)))
  return r
end

----------------------------------------------------------------- part 1: alu

test{ name = "ADD: carry, overflow, zero and the 8/16-bit forms", points = 4, part = "alu",
      limits = { insns = 1000, cpu_seconds = 2 }, fn = function()
  -- add eax,ebx
  alu_case{ code = "\x01\xd8", asm = "add eax,ebx", desc = "0x7fffffff + 1",
            regs = { eax = 0x7fffffff, ebx = 1 }, want = 0x80000000, flags = OF | SF | AF | PF }
  alu_case{ code = "\x01\xd8", asm = "add eax,ebx", desc = "0xffffffff + 1",
            regs = { eax = 0xffffffff, ebx = 1 }, want = 0, flags = CF | ZF | AF | PF }
  alu_case{ code = "\x01\xd8", asm = "add eax,ebx", desc = "1 + 2",
            regs = { eax = 1, ebx = 2 }, want = 3, flags = PF }
  -- add al,bl: 0x80 + 0x80, upper bits of EAX kept
  alu_case{ code = "\x00\xd8", asm = "add al,bl", desc = "0x80 + 0x80 (carry out of bit 7)",
            regs = { eax = 0x12345680, ebx = 0x80 }, want = 0x12345600, mask = 0xff,
            flags = CF | OF | ZF | PF }
  -- add ax,bx: 0xffff + 1
  alu_case{ code = "\x66\x01\xd8", asm = "add ax,bx", desc = "0xffff + 1 (carry out of bit 15)",
            regs = { eax = 0xabcdffff, ebx = 1 }, want = 0xabcd0000, mask = 0xffff,
            flags = CF | ZF | AF | PF }
  -- add ah,bl: the byte registers AH..BH
  alu_case{ code = "\x00\xdc", asm = "add ah,bl", desc = "AH = 0x7f + 1",
            regs = { eax = 0x11227f33, ebx = 1 }, want = 0x11228033, mask = 0xff00,
            flags = OF | SF | AF }
end }

test{ name = "ADC and SBB use the carry in", points = 3, part = "alu", parent = "ADD: carry, overflow, zero and the 8/16-bit forms",
      limits = { insns = 1000, cpu_seconds = 2 }, fn = function()
  alu_case{ code = "\x11\xd8", asm = "adc eax,ebx", desc = "0xffffffff + 0 + CF=1",
            regs = { eax = 0xffffffff, ebx = 0, eflags = 0x3 }, want = 0, flags = CF | ZF | AF | PF }
  alu_case{ code = "\x11\xd8", asm = "adc eax,ebx", desc = "0x7fffffff + 0 + CF=1",
            regs = { eax = 0x7fffffff, ebx = 0, eflags = 0x3 }, want = 0x80000000, flags = OF | SF | AF | PF }
  alu_case{ code = "\x11\xd8", asm = "adc eax,ebx", desc = "1 + 1 + CF=0",
            regs = { eax = 1, ebx = 1, eflags = 0x2 }, want = 2, flags = 0 }
  alu_case{ code = "\x19\xd8", asm = "sbb eax,ebx", desc = "0 - 0 - CF=1",
            regs = { eax = 0, ebx = 0, eflags = 0x3 }, want = 0xffffffff, flags = CF | SF | AF | PF }
  alu_case{ code = "\x19\xd8", asm = "sbb eax,ebx", desc = "0x80000000 - 0 - CF=1",
            regs = { eax = 0x80000000, ebx = 0, eflags = 0x3 }, want = 0x7fffffff, flags = OF | AF | PF }
  alu_case{ code = "\x19\xd8", asm = "sbb eax,ebx", desc = "5 - 3 - CF=0",
            regs = { eax = 5, ebx = 3, eflags = 0x2 }, want = 2, flags = 0 }
end }

test{ name = "SUB and CMP: borrow and overflow; CMP writes nothing", points = 3, part = "alu",
      parent = "ADD: carry, overflow, zero and the 8/16-bit forms",
      limits = { insns = 1000, cpu_seconds = 2 }, fn = function()
  alu_case{ code = "\x29\xd8", asm = "sub eax,ebx", desc = "0 - 1",
            regs = { eax = 0, ebx = 1 }, want = 0xffffffff, flags = CF | SF | AF | PF }
  alu_case{ code = "\x29\xd8", asm = "sub eax,ebx", desc = "0x80000000 - 1",
            regs = { eax = 0x80000000, ebx = 1 }, want = 0x7fffffff, flags = OF | AF | PF }
  alu_case{ code = "\x29\xd8", asm = "sub eax,ebx", desc = "7 - 7",
            regs = { eax = 7, ebx = 7 }, want = 0, flags = ZF | PF }
  -- cmp eax,ebx: the flags of the subtraction, EAX unchanged
  alu_case{ code = "\x39\xd8", asm = "cmp eax,ebx", desc = "0 vs 1 (EAX must stay 0)",
            regs = { eax = 0, ebx = 1 }, want = 0, flags = CF | SF | AF | PF }
  alu_case{ code = "\x39\xd8", asm = "cmp eax,ebx", desc = "0x80000000 vs 1 (EAX unchanged)",
            regs = { eax = 0x80000000, ebx = 1 }, want = 0x80000000, flags = OF | AF | PF }
end }

test{ name = "INC, DEC and NEG (INC/DEC keep CF)", points = 3, part = "alu",
      parent = "ADD: carry, overflow, zero and the 8/16-bit forms",
      limits = { insns = 1000, cpu_seconds = 2 }, fn = function()
  alu_case{ code = "\x40", asm = "inc eax", desc = "0xffffffff, CF=1 in (CF must stay 1)",
            regs = { eax = 0xffffffff, eflags = 0x3 }, want = 0, flags = CF | ZF | AF | PF }
  alu_case{ code = "\x40", asm = "inc eax", desc = "0xffffffff, CF=0 in (no carry out for INC)",
            regs = { eax = 0xffffffff, eflags = 0x2 }, want = 0, flags = ZF | AF | PF }
  alu_case{ code = "\x40", asm = "inc eax", desc = "0x7fffffff",
            regs = { eax = 0x7fffffff }, want = 0x80000000, flags = OF | SF | AF | PF }
  alu_case{ code = "\x48", asm = "dec eax", desc = "0x80000000",
            regs = { eax = 0x80000000 }, want = 0x7fffffff, flags = OF | AF | PF }
  alu_case{ code = "\x48", asm = "dec eax", desc = "0, CF=1 in",
            regs = { eax = 0, eflags = 0x3 }, want = 0xffffffff, flags = CF | SF | AF | PF }
  alu_case{ code = "\xf7\xd8", asm = "neg eax", desc = "0 (CF clear only for 0)",
            regs = { eax = 0 }, want = 0, flags = ZF | PF }
  alu_case{ code = "\xf7\xd8", asm = "neg eax", desc = "0x80000000 (the most negative value)",
            regs = { eax = 0x80000000 }, want = 0x80000000, flags = CF | OF | SF | PF }
  alu_case{ code = "\xf7\xd8", asm = "neg eax", desc = "1",
            regs = { eax = 1 }, want = 0xffffffff, flags = CF | SF | AF | PF }
  -- add eax,ebx ; inc ecx : the INC keeps the ADD's carry
  alu_case{ code = "\x01\xd8\x41", asm = "add eax,ebx; inc ecx", desc = "0xffffffff + 1 then ecx=5",
            regs = { eax = 0xffffffff, ebx = 1, ecx = 5 }, reg = "ecx", want = 6, flags = CF | PF }
end }

--------------------------------------------------------------- part 2: paging

local PG_PE = 0x80000001
local WP = 0x10000
local PSE, PGE = 0x10, 0x80

local function walk_ctx(w)
  local s = {}
  for i, st in ipairs(w.steps or {}) do
    s[#s + 1] = string.format("step %d: table 0x%x index %d entry 0x%08x", i, st.table, st.index, st.entry)
  end
  return string.format("fault=%s error=%s pa=%s; %s", tostring(w.fault), tostring(w.error),
                       w.pa and string.format("0x%x", w.pa) or "nil", table.concat(s, "; "))
end

test{ name = "page walk: 4 KiB and 4 MiB translations", points = 4, part = "paging",
      limits = { cpu_seconds = 2 }, fn = function()
  -- PDE 1 -> page table at 0x2000; PTE 0 -> frame 0x5000 (user, writable)
  local w = vlab.walk{ cr0 = PG_PE, cr3 = 0x1000, lin = 0x400123, access = "read",
                       memory = { [0x1004] = 0x2007, [0x2000] = 0x5007 } }
  local c = " (part 2, walk.c; 4 KiB read of 0x400123 through PDE 1 = 0x2007, PTE 0 = 0x5007): " .. walk_ctx(w)
  expect.falsy(w.fault, "no fault" .. c)
  expect.eq(w.pa, 0x5123, "the physical address" .. c)
  expect.falsy(w.large, "not a 4 MiB page" .. c)
  expect.truthy(w.writable, "writable" .. c)
  expect.eq(#w.steps, 2, "two steps: directory then table" .. c)
  expect.eq(w.steps[1].index, 1, "the directory index" .. c)
  expect.eq(w.steps[2].table, 0x2000, "the second step reads the table the PDE names" .. c)
  -- with CR4.PSE, PDE 0xc with PS maps 4 MiB at 0xc00000
  local l = vlab.walk{ cr0 = PG_PE, cr3 = 0x1000, cr4 = PSE, lin = 0x03012345, access = "write",
                       memory = { [0x1030] = 0x00c00087 } }
  c = " (4 MiB page, CR4.PSE=1, PDE 0xc = 0x00c00087, write of 0x03012345): " .. walk_ctx(l)
  expect.falsy(l.fault, "no fault" .. c)
  expect.eq(l.pa, 0xc12345, "the physical address: frame 0xc00000 + the low 22 bits" .. c)
  expect.truthy(l.large, "a 4 MiB page" .. c)
  expect.eq(#l.steps, 1, "one step" .. c)
  -- without CR4.PSE the PS bit is ignored: the PDE names a page table (empty here)
  local n = vlab.walk{ cr0 = PG_PE, cr3 = 0x1000, cr4 = 0, lin = 0x03012345, access = "read",
                       memory = { [0x1030] = 0x00c00087 } }
  c = " (the same PDE with CR4.PSE=0: PS must be ignored, the table at 0xc00000 is empty): " .. walk_ctx(n)
  expect.truthy(n.fault, "a not-present fault at the table" .. c)
  expect.eq(n.error, 0, "the error code: not present, read, supervisor" .. c)
  expect.eq(#n.steps, 2, "two steps" .. c)
end }

test{ name = "page walk: faults and their error codes", points = 4, part = "paging",
      parent = "page walk: 4 KiB and 4 MiB translations", limits = { cpu_seconds = 2 }, fn = function()
  local cases = {
    { "not present at the directory, user write", {}, 0x800000, "user,write", 6 },
    { "not present at the table, supervisor read", { [0x1004] = 0x2007 }, 0x400000, "read", 0 },
    { "not present at the table, fetch", { [0x1004] = 0x2007 }, 0x400000, "fetch", 0 },
    { "user read of a supervisor page (PTE U/S=0)", { [0x1004] = 0x2007, [0x2000] = 0x5003 }, 0x400000, "user", 5 },
    { "user read of a supervisor table (PDE U/S=0)", { [0x1004] = 0x2003, [0x2000] = 0x5007 }, 0x400000, "user", 5 },
    { "user write to a read-only page (PTE R/W=0)", { [0x1004] = 0x2007, [0x2000] = 0x5005 }, 0x400000, "user,write", 7 },
    { "user write through a read-only table (PDE R/W=0)", { [0x1004] = 0x2005, [0x2000] = 0x5007 }, 0x400000, "user,write", 7 },
  }
  for _, k in ipairs(cases) do
    local w = vlab.walk{ cr0 = PG_PE, cr3 = 0x1000, lin = k[3], access = k[4], memory = k[2] }
    local c = string.format(" (part 2, walk.c: %s at 0x%x): %s", k[1], k[3], walk_ctx(w))
    expect.truthy(w.fault, "a #PF" .. c)
    expect.eq(w.error, k[5], "the #PF error code (P=1 protection, W=2 write, U=4 user)" .. c)
  end
  -- and what is allowed
  local ok = vlab.walk{ cr0 = PG_PE, cr3 = 0x1000, lin = 0x400000, access = "user",
                        memory = { [0x1004] = 0x2007, [0x2000] = 0x5005 } }
  expect.falsy(ok.fault, "a user read of a read-only user page is allowed: " .. walk_ctx(ok))
  expect.falsy(ok.writable, "that page is not writable: " .. walk_ctx(ok))
end }

test{ name = "page walk: CR0.WP and supervisor writes", points = 2, part = "paging",
      parent = "page walk: 4 KiB and 4 MiB translations", limits = { cpu_seconds = 2 }, fn = function()
  local mem = { [0x1004] = 0x2007, [0x2000] = 0x5005 } -- read-only user page
  local a = vlab.walk{ cr0 = PG_PE, cr3 = 0x1000, lin = 0x400010, access = "write", memory = mem }
  expect.falsy(a.fault, "CR0.WP=0: ring 0 may write a read-only page (part 2): " .. walk_ctx(a))
  expect.eq(a.pa, 0x5010, "the physical address with WP=0: " .. walk_ctx(a))
  local b = vlab.walk{ cr0 = PG_PE | WP, cr3 = 0x1000, lin = 0x400010, access = "write", memory = mem }
  expect.truthy(b.fault, "CR0.WP=1: a supervisor write to a read-only page faults (copy-on-write needs it): " .. walk_ctx(b))
  expect.eq(b.error, 3, "the error code: protection, write, supervisor: " .. walk_ctx(b))
end }

test{ name = "page walk: accessed and dirty bits in guest memory", points = 3, part = "paging",
      parent = "page walk: 4 KiB and 4 MiB translations", limits = { insns = 1e6, cpu_seconds = 3 }, fn = function()
  local m = vlab.boot{ image = HELLO, mem = "32M" }
  local D, T, F = 0x300000, 0x301000, 0x302000
  m:write(D + 4, string.pack("<I4", T | 7), "phys")        -- PDE 1
  m:write(T + 8, string.pack("<I4", F | 7), "phys")        -- PTE 2: 0x402000
  m:write(T + 12, string.pack("<I4", (F + 0x1000) | 5), "phys") -- PTE 3: read-only
  local function e(a) return m:read32(a, "phys") end
  local r = vlab.walk{ cr0 = PG_PE, cr3 = D, lin = 0x402abc, access = "read", memory = m }
  expect.falsy(r.fault, "a read through PDE 1, PTE 2: " .. walk_ctx(r))
  expect.eq(r.pa, F + 0xabc, "its physical address")
  expect.bits(e(D + 4), 0x60, 0x20, string.format("after a read: the PDE has A set, D clear (PDE now 0x%08x)", e(D + 4)))
  expect.bits(e(T + 8), 0x60, 0x20, string.format("after a read: the PTE has A set, D clear (PTE now 0x%08x)", e(T + 8)))
  expect.eq(r.steps[2].entry, F | 7, "the step records keep the entry as read (before A was set)")
  local w = vlab.walk{ cr0 = PG_PE, cr3 = D, lin = 0x402abc, access = "write", memory = m }
  expect.falsy(w.fault, "a write to the same page: " .. walk_ctx(w))
  expect.bits(e(T + 8), 0x60, 0x60, string.format("after a write: the PTE has A and D set (PTE now 0x%08x)", e(T + 8)))
  expect.bits(e(D + 4), 0x40, 0, string.format("D is set only in the entry that maps the page, not the PDE (PDE now 0x%08x)", e(D + 4)))
  local f = vlab.walk{ cr0 = PG_PE, cr3 = D, lin = 0x403000, access = "user,write", memory = m }
  expect.truthy(f.fault, "a user write to the read-only PTE 3 faults: " .. walk_ctx(f))
  expect.bits(e(T + 12), 0x60, 0, string.format("a faulting access sets neither A nor D (PTE 3 now 0x%08x)", e(T + 12)))
end }

--------------------------------------------------------------- the kernel boots

local function boot_kernel()
  return vlab.boot{ image = KERNEL, mem = "32M" }
end

test{ name = "kernel boots to ring 3", points = 5, part = "kernel",
      limits = { insns = 3e6, cpu_seconds = 5 }, fn = function()
  local m = boot_kernel()
  local why = m:run_until{ event = { kind = "ring" }, insns = 3e6 }
  expect.eq(why, "event", "the kernel leaves ring 0 within 3M instructions (needs parts 1 and 2: it turns paging on); stopped by")
  local r = m:trace_first{ kind = "ring" }
  expect.eq({ from = r.from, to = r.to, cause = r.cause }, { from = 0, to = 3, cause = "iret" },
            "the first ring switch is 0 -> 3 by IRET into init")
  expect.eq(m:cpl(), 3, "CPL after that IRET")
  expect.eq(m:reg("cs"), 0x1b, "CS is the user code selector (RPL 3)")
  expect.between(m:reg("eip"), 0x40000000, 0x7fffffff, "EIP in user space")
  expect.bits(m:cr(0), 0x80010001, 0x80010001, "CR0: PE, PG and WP on")
  expect.eq(m:trace_count{ kind = "exception", vector = 8 }, 0, "no double fault on the way")
end }

--------------------------------------------------------------- part 3: gates

test{ name = "INT 0x80 from ring 3: the TSS stack switch and the frame", points = 5, part = "gates",
      parent = "kernel boots to ring 3", limits = { insns = 3e6, cpu_seconds = 5 }, fn = function()
  local m = boot_kernel()
  local why = m:run_until{ event = { kind = "exception", vector = 0x80 }, insns = 3e6 }
  expect.eq(why, "event", "init makes a system call (INT 0x80) within 3M instructions")
  local ev = m:trace_last{ kind = "exception", vector = 0x80 }
  expect.truthy(ev.soft, "INT 0x80 is a software interrupt")
  expect.eq(ev.cpl, 3, "from CPL 3")
  local ring = m:trace_last{ kind = "ring" }
  expect.eq({ ring.from, ring.to, ring.cause }, { 3, 0, "int" }, "INT 0x80 switches ring 3 -> 0")
  expect.eq(m:cpl(), 0, "CPL in the handler")
  expect.eq(m:reg("cs"), 0x08, "CS: the gate's selector (kernel code)")
  expect.eq(m:reg("ss"), 0x10, "SS: the TSS's SS0 (kernel data)")
  local esp = m:reg("esp")
  expect.between(esp, 0x100000, 0x3fffffff, "ESP: on the kernel stack from TSS.ESP0, not the user stack")
  local eip, cs, efl, uesp, uss = string.unpack("<I4I4I4I4I4", m:read(esp, 20, "lin"))
  expect.eq(eip, ev.eip + 2, "frame[0]: the return EIP, past the 2-byte INT 0x80")
  expect.eq(cs, 0x1b, "frame[1]: the user CS")
  expect.bits(efl, 0x202, 0x202, "frame[2]: the user EFLAGS, with IF set")
  expect.between(uesp, 0x40000000, 0x80000000, "frame[3]: the user ESP")
  expect.eq(uss, 0x23, "frame[4]: the user SS")
  expect.eq((esp + 20) % 4096, 0, "the frame sits at the top of the kernel stack (ESP0 = top of a page)")
end }

test{ name = "systest: exceptions from rings 0 and 3, and the way back", points = 3, part = "gates",
      limits = { insns = 5e6, cpu_seconds = 5 }, fn = function()
  local m = vlab.boot{ image = "build/guests/systest.elf", mem = "32M" }
  local why = m:run{ insns = 5e6 }
  expect.eq(why, "exit", "the systest guest runs to its end (a failed delivery ends in a triple fault)")
  expect.eq(m:exit_status(), 1, "systest's exit status")
  local s = m:stats()
  expect.between(s.rings["0->3"] or 0, 100, 1000, "systest enters ring 3 (IRET) for its user-mode checks")
  expect.eq(s.rings["3->0"], s.rings["0->3"], "each ring-3 check comes back to ring 0 through a gate")
  local gp = m:trace_first{ kind = "exception", vector = 13 }
  expect.truthy(gp and gp.has_error, "a #GP delivered with an error code")
  local ud = m:trace_first{ kind = "exception", vector = 6 }
  expect.truthy(ud and not ud.has_error, "a #UD delivered without an error code")
  local soft = 0
  for _, n in pairs(s.soft_ints) do soft = soft + n end
  expect.between(soft, 10, 1000, "INT n software interrupts delivered")
end }

--------------------------------------------------------------- part 4: pic

test{ name = "timer interrupts arrive through the PIC", points = 4, part = "pic",
      parent = "INT 0x80 from ring 3: the TSS stack switch and the frame", limits = { insns = 20e6, cpu_seconds = 6 }, fn = function()
  local m = boot_kernel()
  local why = m:run_until{ event = { kind = "interrupt", vector = 0x20 }, insns = 5e6 }
  expect.eq(why, "event", "a timer interrupt (IRQ 0 -> vector 0x20 after the kernel remaps the PIC) within 5M instructions")
  local ev = m:trace_first{ kind = "interrupt", vector = 0x20 }
  expect.truthy(ev, "the interrupt event")
  expect.eq(m:trace_count{ kind = "interrupt", vector = 0x27 } + m:trace_count{ kind = "interrupt", vector = 0x2f }, 0,
            "no spurious interrupt (vector 0x27/0x2f)")
  expect.eq(m:cpl(), 0, "the handler runs in ring 0")
  expect.bits(m:eflags(), 0x200, 0, "an interrupt gate clears IF")
  m:run{ insns = 15e6 }
  local n = m:trace_count{ kind = "interrupt", vector = 0x20 }
  expect.between(n, 3, 1000, "timer interrupts over the whole run (each needs the EOI of the one before)")
end }

--------------------------------------------------------------- kernel: init's tests

test{ name = "kernel: system calls (hello, getpid, write)", points = 4, part = "kernel",
      parent = "INT 0x80 from ring 3: the TSS stack switch and the frame", limits = { insns = 20e6, cpu_seconds = 6 }, fn = function()
  local m = boot_kernel()
  m:run_until{ console = "test fork_wait:", insns = 20e6 } -- the line after write's report
  local c = m:console()
  for _, name in ipairs{ "hello", "getpid", "write" } do
    expect.contains(c, "test " .. name .. ": ok", "init's report for its '" .. name .. "' test (INT 0x80 through a DPL 3 gate and IRET back)")
  end
  expect.between(m:stats().soft_ints[0x80] or 0, 3, 1e6, "INT 0x80 system calls counted in the trace statistics")
end }

-- Counts the page faults by CPL and error code, #PF by #PF, until init has
-- reported its exec test (the tests before it need no timer) or the run ends.
local function pf_by_error(m, budget)
  local by = {}
  local start = m:stats().insns
  while m:stats().insns - start < budget do
    local why = m:run_until{ event = { kind = "exception", vector = 14 }, insns = budget - (m:stats().insns - start) }
    if why ~= "event" then break end
    local ev = m:trace_last{ kind = "exception", vector = 14 }
    local k = string.format("cpl%d err%d", ev.cpl, ev.error)
    by[k] = (by[k] or 0) + 1
    if m:console():find("test exec: ", 1, true) then break end
  end
  return by, m:console():find("test exec: ", 1, true) and "exec reported" or "budget"
end

test{ name = "kernel: fork, sbrk, copy-on-write and exec (the #PF error codes)", points = 5, part = "kernel",
      parent = "INT 0x80 from ring 3: the TSS stack switch and the frame", limits = { insns = 20e6, cpu_seconds = 8 }, fn = function()
  local m = boot_kernel()
  local by, why = pf_by_error(m, 20e6)
  local seen = {}
  for k, v in pairs(by) do seen[#seen + 1] = k .. "=" .. v end
  table.sort(seen)
  local t_seen = table.concat(seen, ", ")
  expect.eq(why, "exec reported", "init reaches its exec test; page faults seen: " .. t_seen)
  expect.truthy((by["cpl3 err7"] or 0) > 0, "copy-on-write: user writes to read-only present pages (#PF error 7 = P|W|U); seen: " .. t_seen)
  expect.truthy((by["cpl3 err4"] or 0) + (by["cpl3 err6"] or 0) > 0,
                "demand-zero: the first touch of a user page not yet present (#PF error 4 = U or 6 = W|U); seen: " .. t_seen)
  local c = m:console()
  for _, name in ipairs{ "fork_wait", "sbrk", "cow", "exec" } do
    expect.contains(c, "test " .. name .. ": ok", "init's report for its '" .. name .. "' test (parts 2 and 3: U/S, R/W, CR0.WP, #PF delivery)")
  end
end }

test{ name = "kernel: yield and preemption", points = 3, part = "kernel",
      parent = "timer interrupts arrive through the PIC", limits = { insns = 20e6, cpu_seconds = 6 }, fn = function()
  local m = boot_kernel()
  m:run{ insns = 20e6 }
  local c = m:console()
  expect.contains(c, "test yield: ok", "init's 'yield' test")
  expect.contains(c, "test preempt: ok", "init's 'preempt' test (needs the timer: PIT -> PIC -> vector 0x20)")
  local ir = m:trace_first{ kind = "interrupt", vector = 0x20 }
  expect.truthy(ir and ir.cpl == 3, "at least one timer interrupt arrived in ring 3 (preempting a user loop)")
end }

test{ name = "kernel: all 13 tests pass, exit status 1", points = 6, part = "kernel",
      parent = "INT 0x80 from ring 3: the TSS stack switch and the frame", limits = { insns = 20e6, cpu_seconds = 6 }, fn = function()
  local m = boot_kernel()
  local why = m:run{ insns = 20e6 }
  expect.eq(why, "exit", "the kernel powers off through isa-debug-exit within 20M instructions")
  expect.eq(m:exit_status(), 1, "the exit status: 1 = every test passed, (failures << 1) | 1 otherwise, 255 = panic")
  expect.contains(m:console(), "init: all 13 tests passed", "init's summary line")
  local de = m:trace_first{ kind = "exception", vector = 0 }
  expect.truthy(de and de.cpl == 3 and not de.has_error, "a #DE from ring 3, without an error code (init's divide_error test)")
  local gp = m:trace_first{ kind = "exception", vector = 13 }
  expect.eq(gp and { gp.cpl, gp.has_error, gp.error }, { 3, true, 0 },
            "the first #GP (init's privileged test): from CPL 3, with error code 0 {cpl, has_error, error}")
  expect.eq(m:stats().rings["0->3"], m:stats().rings["3->0"], "every entry to ring 0 returns to ring 3 (rings 0->3 = 3->0)")
  expect.eq(m:trace_count{ kind = "exception", vector = 8 }, 0, "no double fault")
end }
