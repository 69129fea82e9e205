-- A module in the task root's bin/ folder, required as "bin.helper".
return { NAME = "bin.helper" }
