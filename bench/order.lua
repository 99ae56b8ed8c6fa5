-- wrk: each pair is POST /sales-orders (three lines) then POST /sales-orders/{id}/confirm.
-- Environment: BENCH_KEY, BENCH_CUSTOMER, BENCH_WAREHOUSE, BENCH_ITEMS (three ids, comma-separated).
local key = os.getenv("BENCH_KEY")
local items = {}
for id in string.gmatch(os.getenv("BENCH_ITEMS"), "[^,]+") do items[#items + 1] = id end
local body = string.format('{"customer_id":"%s","warehouse_id":"%s","lines":[' ..
    '{"item_id":"%s","quantity":1},{"item_id":"%s","quantity":1},{"item_id":"%s","quantity":1}]}',
    os.getenv("BENCH_CUSTOMER"), os.getenv("BENCH_WAREHOUSE"), items[1], items[2], items[3])
local headers = { ["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json" }
-- Created orders waiting for their confirm (per wrk thread; connections answer in any order).
local waiting = {}

request = function()
    local id = table.remove(waiting)
    if id then return wrk.format("POST", "/sales-orders/" .. id .. "/confirm", headers, "") end
    return wrk.format("POST", "/sales-orders", headers, body)
end

response = function(status, _, body)
    if status == 201 then
        local id = string.match(body, '"id":"([0-9a-f%-]+)"')
        if id then waiting[#waiting + 1] = id end
    end
end
