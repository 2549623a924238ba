module example.com/bankintegration

go 1.21
