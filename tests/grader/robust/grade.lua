-- The grader's own robustness tests: each of these misbehaves in its own
-- way, fails alone, and the tests around it still run.

test{ name = "passes before", points = 1, fn = function() expect.eq(1 + 1, 2) end }

test{ name = "segfault", points = 1, fn = function() vlab._selftest_crash("segv") end }

test{ name = "abort", points = 1, fn = function() vlab._selftest_crash("abort") end }

test{ name = "endless loop", points = 1, limits = { cpu_seconds = 1 }, fn = function()
  while true do end
end }

test{ name = "memory hog", points = 1, limits = { memory = "256M" }, fn = function()
  local s = string.rep("x", 1 << 30)
  expect.eq(#s, 1 << 30)
end }

test{ name = "sleeper", points = 1, limits = { cpu_seconds = 1, wall_seconds = 1 }, fn = function()
  os.execute("sleep 30")
end }

test{ name = "guest budget", points = 1, limits = { insns = 1000 }, fn = function()
  local m = vlab.boot{ image = "build/guests/kernel.elf", mem = "64M" }
  expect.eq(m:run{ insns = 1000000 }, "budget", "limits.insns caps the run")
  expect.eq(m:stats().insns, 1000)
end }

test{ name = "bad image", points = 1, fn = function()
  vlab.boot{ image = "build/guests/no-such.elf" }
end }

test{ name = "passes after", points = 1, fn = function()
  print("printed by the test")
  io.write("written by io.write\n")
end }
