"""Between people: follows, blocks, mutes, filters, and the notifications and read markers that
come of them."""
