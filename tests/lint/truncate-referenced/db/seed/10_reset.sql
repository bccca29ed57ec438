TRUNCATE stores;
TRUNCATE stores, product_prices;
TRUNCATE categories;
TRUNCATE product_prices;
