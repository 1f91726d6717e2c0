"""The official's desk (我的工作台): the work waiting for an office holder, in one page."""
