-- wrk: GET /customers?limit=50, each request following the next_cursor of the last page this
-- thread received (back to the first page at the end), as a grid scrolling through the list.
local key = os.getenv("BENCH_KEY")
local cursor = nil

request = function()
    local path = "/customers?limit=50"
    if cursor then path = path .. "&cursor=" .. cursor end
    return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. key })
end

-- next_cursor is the page's last member, so it is looked for only near the end: matching from
-- the start scanned all 26 KB of rows and cost wrk more CPU than the page cost the server, on
-- the cores the server and PostgreSQL share.
response = function(status, headers, body)
    if status ~= 200 then return end
    local from = string.find(body, '"next_cursor":', -300, true)
    cursor = from and string.match(body, '^"next_cursor":"([^"]+)"', from) or nil
end
