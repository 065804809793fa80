-- The grader's own tests: what passes, what fails and how it is reported.
-- tests/grader.sh runs this with every format and checks the statuses.

test{ name = "hello boots", points = 5, part = "boot", fn = function(t)
  local m = vlab.boot{ image = "build/guests/hello.elf", mem = "32M" }
  local why = m:run_until{ console = "Hello", insns = 1000000 }
  expect.eq(why, "console", "stops when the greeting appears")
  expect.eq(m:run{ insns = 1000000 }, "exit", "then exits")
  expect.eq(m:exit_status(), 1, "exit status: (0 << 1) | 1")
  expect.match(m:console(), "Memory above 1 MiB: %d+ MiB")
  expect.eq(m:cpl(), 0)
  expect.bits(m:cr(0), 1, 1, "protected mode")
  local s = m:stats()
  expect.truthy(s.insns > 0 and s.pio.com1 > 0, "counted instructions and COM1 accesses")
  expect.eq(m:trace_count{ kind = "pio" }, s.events.pio)
  local last = m:trace_last{ kind = "pio" }
  expect.eq(last.addr, 0xf4, "the last port written is isa-debug-exit")
  t:log("console: " .. #m:console() .. " bytes")
end }

test{ name = "memory round trip", points = 2, part = "boot", parent = "hello boots", fn = function()
  local m = vlab.boot{ image = "build/guests/hello.elf" }
  m:write(0x200000, "\1\2\3\4")
  expect.eq(m:read32(0x200000), 0x04030201)
  expect.eq(m:read(0x200001, 2, "lin"), "\2\3")
  m:set_reg("eax", 1234)
  expect.eq(m:reg("eax"), 1234)
  expect.eq(m:reg("cs"), 0x08)
end }

test{ name = "exec adds", points = 3, part = "unit", fn = function()
  -- add eax, ebx ; hlt
  local r = vlab.exec{ code = "\x01\xd8\xf4", regs = { eax = 0xffffffff, ebx = 1 } }
  expect.eq(r.eax, 0)
  expect.bits(r.eflags, 0x41, 0x41, "CF and ZF")
  expect.eq(r.exit, "hlt")
  local u = vlab.exec{ code = "\xfa", cpl = 3 } -- cli at CPL 3
  expect.eq(u.exception and u.exception.vector, 13, "#GP")
end }

test{ name = "decode and walk", points = 3, part = "unit", fn = function()
  local d = vlab.decode("\x8b\x45\x08")
  expect.eq(d.len, 3)
  expect.eq(d.text, "mov    eax,DWORD PTR [ebp+0x8]")
  expect.contains(vlab.disasm("\x90\xc3"), "ret")
  -- a PDE at 0x1000 pointing to a table at 0x2000 mapping 0x400000 -> 0x5000
  local w = vlab.walk{ cr3 = 0x1000, lin = 0x400123, access = "write",
                       memory = { [0x1004] = 0x2007, [0x2000] = 0x5007 } }
  expect.falsy(w.fault)
  expect.eq(w.pa, 0x5123)
  expect.eq(#w.steps, 2)
  expect.eq(w.steps[1].index, 1)
  local f = vlab.walk{ cr3 = 0x1000, lin = 0x800000, access = "user", memory = {} }
  expect.truthy(f.fault)
  expect.eq(f.error, 4, "not present, read, user")
end }

test{ name = "a failing expectation", points = 4, part = "failures", fn = function()
  local m = vlab.boot{ image = "build/guests/hello.elf" }
  m:run{ insns = 100000 }
  expect.eq(m:exit_status(), 42, "the exit status")
end }

test{ name = "a Lua error", points = 1, part = "failures", fn = function()
  local x = nil
  return x.field
end }

test{ name = "child of a failure", points = 2, part = "failures", parent = "a failing expectation",
      fn = function() end }

test{ name = "after the due date", points = 1, visibility = "after_due_date", part = "failures",
      fn = function() expect.near(0.1 + 0.2, 0.3, 1e-9) end }

test{ name = "kernel page fault event", points = 2, part = "unit", limits = { insns = 50000000 },
      fn = function()
  local m = vlab.boot{ image = "build/guests/kernel.elf", mem = "64M" }
  expect.eq(m:run_until{ event = { kind = "exception", vector = 14 } }, "event")
  local pf = m:trace_last{ kind = "exception", vector = 14 }
  expect.eq(pf.vector, 14)
  expect.eq(m:cr(2), pf.cr2, "CR2 holds the faulting address right after the delivery")
  expect.eq(m:trace_count{ kind = "exception", vector = 14 }, 1)
  expect.eq(m:trace_first{ kind = "exception", vector = 14 }.seq, pf.seq)
  expect.eq(m:run_until{ console = "all 13 tests passed" }, "console")
  expect.between(m:stats().exceptions[14], 1000, 2000, "#PF count")
end }

test{ name = "run_until halt", points = 1, part = "unit", fn = function()
  local m = vlab.boot{ image = "build/guests/hello.elf" }
  m:write(0x200000, "\x90\xfa\xf4") -- nop; cli; hlt
  m:set_reg("eip", 0x200000)
  expect.eq(m:run_until{ halt = true, insns = 1000 }, "halt")
  expect.eq(m:reg("eip"), 0x200003, "past the HLT")
  expect.eq(m:stats().insns, 3)
  expect.eq(m:run{ insns = 1000 }, "halted", "nothing can wake it")
end }
