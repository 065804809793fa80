-- Hidden tests, part 2: 4 MiB pages with WP, D in a 4 MiB PDE, the G bit.

local PG_PE, WP, PSE, PGE = 0x80000001, 0x10000, 0x10, 0x80

test{ name = "hidden: 4 MiB pages: WP=0 supervisor write, WP=1 fault, D in the PDE, G with PGE", points = 3,
      part = "paging", visibility = "hidden", parent = "page walk: 4 KiB and 4 MiB translations",
      limits = { insns = 1e6, cpu_seconds = 3 }, fn = function()
  local m = vlab.boot{ image = "build/guests/hello.elf", mem = "32M" }
  local D = 0x300000
  -- PDE 2: 4 MiB page at 0xc00000, user, read-only, global
  m:write(D + 8, string.pack("<I4", 0x00c00000 | 0x100 | 0x80 | 0x5), "phys")
  local function pde() return m:read32(D + 8, "phys") end
  local a = vlab.walk{ cr0 = PG_PE, cr3 = D, cr4 = PSE, lin = 0x00812345, access = "write", memory = m }
  expect.falsy(a.fault, string.format("CR0.WP=0, CR4.PSE=1: ring 0 may write a read-only 4 MiB page (fault=%s error=%s)",
               tostring(a.fault), tostring(a.error)))
  expect.eq(a.pa, 0xc12345, "the physical address in the 4 MiB page")
  expect.truthy(a.large, "a 4 MiB page")
  expect.falsy(a.global, "G counts only with CR4.PGE")
  expect.bits(pde(), 0x60, 0x60, string.format("a write through a 4 MiB PDE sets its A and D (PDE now 0x%08x)", pde()))
  local g = vlab.walk{ cr0 = PG_PE, cr3 = D, cr4 = PSE | PGE, lin = 0x00812345, access = "read", memory = m }
  expect.truthy(g.global, "with CR4.PGE the G bit makes the translation global")
  local b = vlab.walk{ cr0 = PG_PE | WP, cr3 = D, cr4 = PSE, lin = 0x00812345, access = "write", memory = m }
  expect.truthy(b.fault, "CR0.WP=1: the same supervisor write faults")
  expect.eq(b.error, 3, "error code 3: protection, write, supervisor")
  local u = vlab.walk{ cr0 = PG_PE, cr3 = D, cr4 = PSE, lin = 0x00812345, access = "user,write", memory = m }
  expect.eq({ u.fault, u.error }, { true, 7 }, "a user write to the read-only 4 MiB page: #PF error 7 (fault, error)")
end }
