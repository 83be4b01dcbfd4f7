import asyncio

import qasync


async def test_loop_is_qasync(library):
    assert isinstance(asyncio.get_running_loop(), qasync.QEventLoop)


async def test_library_has_photos(library):
    assert await library.count_images() > 10
