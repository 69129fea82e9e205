-- A module in the task root's lua/ folder, required as "lua.shout".
return { up = string.upper }
