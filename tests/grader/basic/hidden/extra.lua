-- Loaded only with --hidden.
test{ name = "hidden test", points = 2, visibility = "hidden", part = "hidden", fn = function()
  expect.eq(vlab.exec{ code = "\x40" }.eax, 1, "inc eax")
end }
