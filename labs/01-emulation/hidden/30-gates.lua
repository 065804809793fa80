-- Hidden tests, part 3: the systest guest's exceptions, double faults.

test{ name = "hidden: systest's exception checks, double faults included", points = 4, part = "gates",
      visibility = "hidden", parent = "systest: exceptions from rings 0 and 3, and the way back",
      limits = { insns = 5e6, cpu_seconds = 5 }, fn = function()
  local m = vlab.boot{ image = "build/guests/systest.elf", mem = "32M" }
  expect.eq(m:run{ insns = 5e6 }, "exit", "the systest guest runs to its end")
  expect.eq(m:exit_status(), 1, "systest's exit status")
  local s = m:stats()
  -- what the reference machine (and QEMU, and the SDM) deliver for systest's checks
  local want = { [0] = 2, [5] = 2, [6] = 6, [7] = 2, [8] = 2, [11] = 8, [12] = 2, [13] = 96, [14] = 14, [17] = 1 }
  local names = { [0] = "#DE", [5] = "#BR", [6] = "#UD", [7] = "#NM", [8] = "#DF", [11] = "#NP", [12] = "#SS",
                  [13] = "#GP", [14] = "#PF", [17] = "#AC" }
  for v, n in pairs(want) do
    expect.eq(s.exceptions[v] or 0, n, string.format("exceptions delivered with vector %d (%s)", v, names[v]))
  end
  local df = m:trace_first{ kind = "exception", vector = 8 }
  expect.eq({ df.has_error, df.error }, { true, 0 }, "a double fault pushes error code 0 (has_error, error)")
  expect.eq(s.rings["0->3"], 119, "systest's ring-3 entries")
  expect.eq(s.rings["3->0"], 119, "and the returns to ring 0")
  expect.contains(m:console(), "264 checks, 0 unlike the SDM",
                  "systest's own verdict (run build/vlab run --mem 32M build/guests/systest.elf to see which check differs)")
end }
