-- 0011: a stand-in for the issue 18 migration another branch adds under this number (it keeps the
-- numbers without gaps on this branch); the lead drops this file when merging that one.
SELECT 1;
