-- wrk: GET /customers?limit=50, each request following the next_cursor of the last page this
-- thread received (back to the first page at the end), as a grid scrolling through the list.
local key = os.getenv("BENCH_KEY")
local cursor = nil

request = function()
    local path = "/customers?limit=50"
    if cursor then path = path .. "&cursor=" .. cursor end
    return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. key })
end

response = function(status, headers, body)
    if status == 200 then cursor = string.match(body, '"next_cursor":"([^"]+)"') end
end
