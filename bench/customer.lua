-- wrk: GET /customers/{number} for a random synthetic customer (BENCH_CUSTOMERS of them).
local key = os.getenv("BENCH_KEY")
local customers = tonumber(os.getenv("BENCH_CUSTOMERS"))

request = function()
    local n = math.random(1, customers)
    local number = n < 1000000 and string.format("CUST-%06d", n) or ("CUST-" .. n)
    return wrk.format("GET", "/customers/" .. number, { ["Authorization"] = "Bearer " .. key })
end
