-- Hidden tests, part 4: the 8259 programmed by hand (poll mode, IRR, ISR, EOI).

test{ name = "hidden: PIC: IRR latches, masks, poll acknowledges, EOI clears ISR", points = 4, part = "pic",
      visibility = "hidden",
      limits = { insns = 2e6, cpu_seconds = 3 }, fn = function()
  local m = vlab.boot{ image = "build/guests/hello.elf", mem = "32M" }
  -- cli; ICW1-4 (vectors 0x20); mask all; PIT ch0 count 16; spin; then
  -- read IRR, poll (masked), read ISR, unmask IRQ0, poll, ISR, EOI, ISR;
  -- each result to 0x220000+i; hlt.  (Source in the comment of labs/01-emulation/hidden/40-pic.lua.)
  local code = "\xfa\xb0\x11\xe6\x20\xb0\x20\xe6\x21\xb0\x04\xe6\x21\xb0\x01\xe6\x21\xb0\xff\xe6\x21\xb0\x34\xe6\x43\xb0\x10\xe6\x40\xb0\x00\xe6\x40\xb9\x40\x0d\x03\x00\xe2\xfe\xb0\x0a\xe6\x20\xe4\x20\xa2\x00\x00\x22\x00\xb0\x0c\xe6\x20\xe4\x20\xa2\x01\x00\x22\x00\xb0\x0b\xe6\x20\xe4\x20\xa2\x02\x00\x22\x00\xb0\xfe\xe6\x21\xb0\x0c\xe6\x20\xe4\x20\xa2\x03\x00\x22\x00\xb0\x0b\xe6\x20\xe4\x20\xa2\x04\x00\x22\x00\xb0\x20\xe6\x20\xb0\x0b\xe6\x20\xe4\x20\xa2\x05\x00\x22\x00\xf4"
  m:write(0x200000, code, "phys")
  m:write(0x220000, string.rep("\xee", 8), "phys")
  m:set_reg("eip", 0x200000)
  expect.eq(m:run_until{ halt = true, insns = 2e6 }, "halt", "the sequence reaches its HLT")
  local irr, poll_masked, isr0, poll, isr1, isr2 = string.byte(m:read(0x220000, 6, "phys"), 1, 6)
  local ctx = string.format(" (part 4, pic8259.c; read: IRR=0x%02x poll(masked)=0x%02x ISR=0x%02x poll=0x%02x ISR=0x%02x ISR after EOI=0x%02x)",
                            irr, poll_masked, isr0, poll, isr1, isr2)
  expect.bits(irr, 1, 1, "the PIT's rising edge latches IRQ 0 in IRR even while masked" .. ctx)
  expect.bits(poll_masked, 0x80, 0, "poll with IRQ 0 masked: no interrupt (bit 7 clear)" .. ctx)
  expect.eq(isr0, 0, "nothing in service before the poll" .. ctx)
  expect.eq(poll, 0x80, "poll with IRQ 0 unmasked: 0x80 | level 0" .. ctx)
  expect.bits(isr1, 1, 1, "the poll acknowledged IRQ 0: ISR bit 0" .. ctx)
  expect.bits(isr2, 1, 0, "the non-specific EOI cleared ISR bit 0" .. ctx)
end }

--[[ the source of the code above (gcc -m32 -c; objcopy -O binary):
  cli
  mov $0x11,%al; out %al,$0x20 ; mov $0x20,%al; out %al,$0x21
  mov $0x04,%al; out %al,$0x21 ; mov $0x01,%al; out %al,$0x21
  mov $0xff,%al; out %al,$0x21                                    # mask everything
  mov $0x34,%al; out %al,$0x43 ; mov $0x10,%al; out %al,$0x40 ; mov $0x00,%al; out %al,$0x40
  mov $200000,%ecx ; 1: loop 1b
  mov $0x0a,%al; out %al,$0x20; in $0x20,%al; mov %al,0x220000    # IRR
  mov $0x0c,%al; out %al,$0x20; in $0x20,%al; mov %al,0x220001    # poll, masked
  mov $0x0b,%al; out %al,$0x20; in $0x20,%al; mov %al,0x220002    # ISR
  mov $0xfe,%al; out %al,$0x21                                    # unmask IRQ0
  mov $0x0c,%al; out %al,$0x20; in $0x20,%al; mov %al,0x220003    # poll
  mov $0x0b,%al; out %al,$0x20; in $0x20,%al; mov %al,0x220004    # ISR
  mov $0x20,%al; out %al,$0x20                                    # EOI
  mov $0x0b,%al; out %al,$0x20; in $0x20,%al; mov %al,0x220005    # ISR
  hlt
]]
